import type { ServerTool, ToolCallContext, ToolResult } from '../tool';
import { MathEvaluator } from './math-evaluator';

export interface CalculatorOptions {
  /** How long one expression may run (default 2 s). */
  timeoutMs?: number;
  /** The longest expression accepted (default 2000 characters). */
  maxExpressionLength?: number;
  /** The evaluating process's heap (default 128 MB). */
  memoryLimitMb?: number;
  /** The longest result handed to the model (default 10,000 characters: a big matrix is refused, not cut). */
  maxResultLength?: number;
  /** How long the evaluating process may take to start (default 15 s). */
  startTimeoutMs?: number;
}

/** The argument names models use for the expression: ours first, then the common alternative. */
const EXPRESSION_KEYS = ['input', 'expression'] as const;

/**
 * Evaluates a math expression with mathjs (numbers, units, matrices, functions), in a process of
 * its own with a time and a memory limit, and with the functions that reach the parser or change
 * the instance disabled: whatever expression a model sends, the service keeps running.
 */
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

  private readonly evaluator: MathEvaluator;
  private readonly maxExpressionLength: number;

  constructor(options: CalculatorOptions = {}) {
    this.maxExpressionLength = options.maxExpressionLength ?? 2000;
    this.evaluator = new MathEvaluator({
      timeoutMs: options.timeoutMs ?? 2000,
      memoryLimitMb: options.memoryLimitMb ?? 128,
      maxOutputLength: options.maxResultLength ?? 10_000,
      startTimeoutMs: options.startTimeoutMs ?? 15_000,
    });
  }

  /** Rejects with the signal's reason when the call is aborted. */
  async call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const expression = expressionOf(args);
    if (expression === undefined) {
      return failure('the argument "input" must be a non-empty string holding the expression, e.g. "2 * (3 + 4)"');
    }
    if (expression.length > this.maxExpressionLength) {
      return failure(
        `the expression is ${expression.length} characters long; the limit is ${this.maxExpressionLength}`,
      );
    }
    const evaluation = await this.evaluator.evaluate(expression, context.signal);
    return evaluation.ok ? { output: evaluation.value } : failure(evaluation.error);
  }

  /** Starts the evaluating process now rather than at the first call. */
  warmUp(): void {
    this.evaluator.warmUp();
  }

  /** Stops the evaluating process (at shutdown). */
  close(): Promise<void> {
    return this.evaluator.close();
  }
}

function expressionOf(args: Record<string, unknown>): string | undefined {
  for (const key of EXPRESSION_KEYS) {
    const value = args[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

function failure(reason: string): ToolResult {
  return { output: `Error: ${reason}`, isError: true };
}
