import type { CompletionResult } from '@agents/chat';

/**
 * What the OpenAI-compatible routes need from a generation stream's events (the payloads of
 * docs/http-api.md § Streams, published by the worker): text deltas, the agent's server-side tool
 * calls, and the terminal event with the completion result.
 */
export type GenerationEvent =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; stepId: string; id?: string; name?: string; args: string }
  | { type: 'final'; result: CompletionResult }
  | { type: 'error'; message: string; result?: CompletionResult }
  | { type: 'other' };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

const STATUSES: CompletionResult['status'][] = ['completed', 'failed', 'aborted'];
type FailureKind = NonNullable<CompletionResult['failure']>['kind'];
/** Every failure kind: a Record, so that a kind added to the providers' type must be added here too. */
const FAILURE_KINDS: Record<FailureKind, true> = {
  auth: true,
  rate_limit: true,
  bad_request: true,
  unavailable: true,
  timeout: true,
  unsupported: true,
  unknown: true,
};
const isFailureKind = (value: unknown): value is FailureKind =>
  typeof value === 'string' && Object.hasOwn(FAILURE_KINDS, value);

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The completion result a terminal payload carries under `completion`, read field by field (it
 * crossed the event bus as JSON); undefined when it has no status or text.
 */
function resultOf(payload: Json): CompletionResult | undefined {
  const c = payload.completion;
  if (!isObject(c)) return undefined;
  const status = STATUSES.find((s) => s === c.status);
  if (!status || typeof c.text !== 'string') return undefined;
  const usage = isObject(c.usage) ? c.usage : undefined;
  const failure = isObject(c.failure) ? c.failure : undefined;
  const kind = isFailureKind(failure?.kind) ? failure.kind : undefined;
  return {
    status,
    text: c.text,
    finishReason: stringOrNull(c.finishReason),
    usage:
      usage && typeof usage.promptTokens === 'number' && typeof usage.completionTokens === 'number'
        ? { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens }
        : null,
    model: stringOrNull(c.model),
    ...(typeof c.error === 'string' ? { error: c.error } : {}),
    ...(kind
      ? { failure: { kind, ...(typeof failure?.httpStatus === 'number' ? { httpStatus: failure.httpStatus } : {}) } }
      : {}),
  };
}

/** Reads one payload; what these routes do not forward (run steps, reasoning, attachments) is `other`. */
export function readGenerationEvent(payload: unknown): GenerationEvent[] {
  if (!isObject(payload)) return [{ type: 'other' }];
  if (typeof payload.error === 'string') return [{ type: 'error', message: payload.error, result: resultOf(payload) }];
  if (payload.final === true) {
    const result = resultOf(payload);
    return result ? [{ type: 'final', result }] : [{ type: 'error', message: 'The generation ended without a result' }];
  }
  const data = isObject(payload.data) ? payload.data : {};
  const delta = isObject(data.delta) ? data.delta : {};
  if (payload.event === 'on_message_delta' && Array.isArray(delta.content)) {
    return delta.content
      .filter((part): part is { type: 'text'; text: string } => isObject(part) && typeof part.text === 'string')
      .map((part) => ({ type: 'text' as const, text: part.text }));
  }
  if (payload.event === 'on_run_step_delta' && delta.type === 'tool_calls' && Array.isArray(delta.tool_calls)) {
    const stepId = typeof data.id === 'string' ? data.id : '';
    return delta.tool_calls.filter(isObject).map((call) => ({
      type: 'tool_call' as const,
      stepId,
      ...(typeof call.id === 'string' ? { id: call.id } : {}),
      ...(typeof call.name === 'string' ? { name: call.name } : {}),
      args: typeof call.args === 'string' ? call.args : call.args === undefined ? '' : JSON.stringify(call.args),
    }));
  }
  return [{ type: 'other' }];
}

/** OpenAI's finish reasons; a vendor's unknown one (`other`) or none reads as `stop`. */
export function openAIFinishReason(
  reason: string | null | undefined,
): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  return reason === 'length' || reason === 'tool_calls' || reason === 'content_filter' ? reason : 'stop';
}
