import { readStreamEvent, type CompletionResult } from '@agents/chat';

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

/**
 * Reads one payload through the stream's one reader ({@link readStreamEvent}) and keeps what these
 * routes forward; what they do not (run steps, reasoning, attachments) is `other`.
 */
export function readGenerationEvent(payload: unknown): GenerationEvent[] {
  const event = readStreamEvent(payload);
  if (!event) return [{ type: 'other' }];
  switch (event.kind) {
    case 'error':
      return [{ type: 'error', message: event.message, result: event.completion }];
    case 'final':
      // A completion job's final always carries its result; one without it cannot be answered.
      return event.completion
        ? [{ type: 'final', result: event.completion }]
        : [{ type: 'error', message: 'The generation ended without a result' }];
    case 'message_delta':
      return [{ type: 'text', text: event.text }];
    case 'tool_call_delta':
      return event.calls.map((call) => ({ type: 'tool_call', stepId: event.stepId, ...call }));
    case 'created':
    case 'run_step':
    case 'reasoning_delta':
    case 'tool_result':
    case 'attachment':
      return [{ type: 'other' }];
  }
}

/** OpenAI's finish reasons; a vendor's unknown one (`other`) or none reads as `stop`. */
export function openAIFinishReason(
  reason: string | null | undefined,
): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  return reason === 'length' || reason === 'tool_calls' || reason === 'content_filter' ? reason : 'stop';
}
