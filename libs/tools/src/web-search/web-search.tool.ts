import type { WebSearchConfig } from '@agents/core';
import type { ServerTool, ToolCallContext, ToolResult } from '../tool';

/** SKELETON: the web search work fills it in (SearXNG, Tavily, Brave). */
export class WebSearchTool implements ServerTool {
  readonly id = 'web_search';
  readonly name = 'Web Search';
  readonly description = 'Searches the web; results come back as numbered sources to cite as [1], [2], …';
  readonly source = 'builtin' as const;
  readonly parameters = {
    type: 'object',
    properties: { query: { type: 'string', description: 'What to search for' } },
    required: ['query'],
    additionalProperties: false,
  };

  constructor(private readonly config: WebSearchConfig) {}

  call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    void context;
    return Promise.resolve({ output: `not implemented: ${this.config.provider} ${String(args.query)}`, isError: true });
  }
}
