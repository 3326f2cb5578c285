import type { WebSearchConfig } from '@agents/core';
import type { Citation, ServerTool, ToolCallContext, ToolResult } from '../tool';
import { BraveBackend } from './brave.backend';
import { SearchFailure, type SearchBackend, type SearchHit } from './search-backend';
import { SearxngBackend } from './searxng.backend';
import { TavilyBackend } from './tavily.backend';

/** The longest query sent on (Brave refuses more than 400 characters). */
const MAX_QUERY_LENGTH = 400;

/**
 * Searches the web through the configured backend (SearXNG, Tavily or Brave) and hands the model
 * numbered sources to cite, and the user the same sources as a citations attachment.
 */
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

  private readonly backend: SearchBackend;

  constructor(private readonly config: WebSearchConfig) {
    this.backend = backendFor(config);
  }

  /**
   * A failed search (an error status, a timeout, an unreachable backend) is an error result; an
   * aborted call rejects with the signal's reason.
   */
  async call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const query = typeof args.query === 'string' ? args.query.trim() : '';
    if (!query) return failure('the argument "query" must be a non-empty string saying what to search for');
    if (query.length > MAX_QUERY_LENGTH) {
      return failure(`the query is ${query.length} characters long; the limit is ${MAX_QUERY_LENGTH}`);
    }
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    let hits: SearchHit[];
    try {
      hits = await this.backend.search(query, {
        maxResults: this.config.maxResults,
        signal: AbortSignal.any([context.signal, timeout]),
      });
    } catch (error) {
      context.signal.throwIfAborted();
      if (timeout.aborted) {
        return failure(
          `web search failed: ${this.backend.name} did not answer within ${this.config.timeoutMs / 1000} s`,
        );
      }
      if (error instanceof SearchFailure) return failure(`web search failed: ${error.message}`);
      throw error;
    }
    return hits.length > 0 ? found(query, hits) : { output: `No results found for "${query}".` };
  }
}

function backendFor(config: WebSearchConfig): SearchBackend {
  switch (config.provider) {
    case 'searxng':
      if (!config.url) throw new Error('webSearch.url is required for searxng');
      return new SearxngBackend(config.url);
    case 'tavily':
      return new TavilyBackend(requiredKey(config), config.url);
    case 'brave':
      return new BraveBackend(requiredKey(config), config.url);
  }
}

function requiredKey(config: WebSearchConfig): string {
  if (!config.apiKey) throw new Error(`webSearch.apiKey is required for ${config.provider}`);
  return config.apiKey;
}

/** The sources numbered for the model, and the same numbers in the citations the user sees. */
function found(query: string, hits: readonly SearchHit[]): ToolResult {
  const citations: Citation[] = hits.map((hit, i) => ({
    index: i + 1,
    title: hit.title,
    url: hit.url,
    ...(hit.snippet ? { snippet: hit.snippet } : {}),
    source: hit.source,
    ...(hit.publishedAt ? { publishedAt: hit.publishedAt } : {}),
  }));
  const sources = citations.map((citation) =>
    [
      `[${citation.index}] ${citation.title}`,
      `URL: ${citation.url}`,
      ...(citation.publishedAt ? [`Published: ${citation.publishedAt}`] : []),
      ...(citation.snippet ? [citation.snippet] : []),
    ].join('\n'),
  );
  return {
    output: [`Search results for "${query}":`, ...sources, 'Cite sources as [n].'].join('\n\n'),
    attachments: [{ type: 'citations', query, citations }],
  };
}

function failure(reason: string): ToolResult {
  return { output: `Error: ${reason}`, isError: true };
}
