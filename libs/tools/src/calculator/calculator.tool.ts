import type { ServerTool, ToolCallContext, ToolResult } from '../tool';

/** SKELETON: the calculator work fills it in (mathjs, restricted, in a worker thread). */
export class CalculatorTool implements ServerTool {
  readonly id = 'calculator';
  readonly name = 'Calculator';
  readonly description = 'Evaluates a math expression (mathjs syntax: units, matrices, functions)';
  readonly source = 'builtin' as const;
  readonly parameters = {
    type: 'object',
    properties: { input: { type: 'string', description: 'The expression, e.g. "12.5% * 1840" or "5 cm to inch"' } },
    required: ['input'],
    additionalProperties: false,
  };

  call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    void context;
    return Promise.resolve({ output: `not implemented: ${String(args.input)}`, isError: true });
  }

  /** Frees the worker thread. */
  async close(): Promise<void> {}
}
