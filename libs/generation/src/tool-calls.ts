import { Logger } from '@nestjs/common';
import { ToolError, type ServerTool, type ToolCallContext, type ToolResult } from '@agents/tools';

const logger = new Logger('ToolCalls');

/** A tool call the model finished asking for: its arguments are complete. */
export interface RequestedCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them: a JSON text. */
  args: string;
}

/** How one step's calls run. */
export interface ToolCallLimits {
  /** Per call, unless the tool names its own. */
  timeoutMs: number;
  /** Characters of one output the model (and the stored run) gets at most. */
  outputMaxChars: number;
  /** Calls of one step running at once. */
  concurrency: number;
}

/** Who the calls run for; the signal and the call's id are added per call. */
export type CallScope = Omit<ToolCallContext, 'signal' | 'toolCallId'>;

/** Prefix of every failed call's output: models and the OpenAI-compatible mappers both read it. */
export const TOOL_ERROR_PREFIX = 'Error: ';

/**
 * Runs one call to its result, whatever happens: unknown tools, arguments that are not a JSON
 * object, a tool that throws, one that outlives its timeout and an abort all become error results
 * (the model reads them and the generation goes on). A call is abandoned the moment its signal
 * fires, whether or not the tool honours the signal, so an abort never waits on a tool.
 */
export async function runToolCall(
  call: RequestedCall,
  tool: ServerTool | undefined,
  scope: CallScope,
  limits: ToolCallLimits,
  parent: AbortSignal,
): Promise<ToolResult> {
  if (!tool) return failure(`there is no tool named "${call.name}"`);
  const args = parseArguments(call.args);
  if (typeof args === 'string') return failure(args);

  const timeoutMs = tool.timeoutMs ?? limits.timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([parent, timeout]);
  let stopWaiting: () => void = () => undefined;
  const abandoned = new Promise<ToolResult>((resolve) => {
    const onAbort = (): void =>
      resolve(
        parent.aborted
          ? failure('the call was cancelled')
          : failure(`${tool.id} did not answer within ${formatSeconds(timeoutMs)}`),
      );
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stopWaiting = () => signal.removeEventListener('abort', onAbort);
  });
  try {
    const result = await Promise.race([tool.call(args, { ...scope, toolCallId: call.id, signal }), abandoned]);
    return result.isError && !result.output.startsWith(TOOL_ERROR_PREFIX)
      ? { ...result, output: `${TOOL_ERROR_PREFIX}${result.output}` }
      : result;
  } catch (err) {
    if (err instanceof ToolError) return failure(err.message);
    if (signal.aborted) return abandoned;
    logger.warn({ tool: tool.id, err }, `Tool ${tool.id} failed: ${(err as Error)?.message ?? String(err)}`);
    return failure(`${tool.id} failed unexpectedly`);
  } finally {
    stopWaiting();
  }
}

/**
 * Runs a step's calls at most `concurrency` at a time, handing each result to `onResult` as it
 * comes (in the order they finish); resolves when all have.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  run: (item: T) => Promise<R>,
  onResult: (item: T, result: R) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await onResult(item, await run(item));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/** An output cut to the limit, saying how much was cut, so neither the model nor the user is misled. */
export function capOutput(output: string, maxChars: number): string {
  if (output.length <= maxChars) return output;
  return `${output.slice(0, maxChars)}\n\n[Output truncated: the first ${maxChars} of ${output.length} characters are shown]`;
}

function failure(reason: string): ToolResult {
  return { isError: true, output: `${TOOL_ERROR_PREFIX}${reason}` };
}

/** The model's arguments as an object, or why they are not one. Empty arguments are `{}`. */
function parseArguments(text: string): Record<string, unknown> | string {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'the arguments are not valid JSON; send a JSON object';
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : 'the arguments must be a JSON object';
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
