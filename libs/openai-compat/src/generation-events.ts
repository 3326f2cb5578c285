import { readStreamEvent, type CompletionResult, type StreamPayload } from '@agents/chat';

/**
 * The stream events an answer is made of while it is generated: text and reasoning deltas, run
 * steps (a message, or one of the agent's server-side tool calls), a call's argument fragments and
 * result, and the attachments tools hand over (web search citations, …).
 */
export type AnswerEvent = Extract<
  StreamPayload,
  { kind: 'run_step' | 'message_delta' | 'reasoning_delta' | 'tool_call_delta' | 'tool_result' | 'attachment' }
>;

/**
 * What the OpenAI-compatible routes need from a generation stream's events (the payloads of
 * docs/http-api.md § Streams, published by the worker): the answer as it is made, and the terminal
 * event with the completion result.
 */
export type GenerationEvent =
  | { type: 'answer'; payload: AnswerEvent }
  | { type: 'final'; result: CompletionResult }
  | { type: 'error'; message: string; result?: CompletionResult };

/**
 * Reads one payload through the stream's one reader ({@link readStreamEvent}). Null for what these
 * routes have no use for (the `created` and `title` events, payloads the reader does not know).
 */
export function readGenerationEvent(payload: unknown): GenerationEvent | null {
  const event = readStreamEvent(payload);
  if (!event) return null;
  switch (event.kind) {
    case 'error':
      return { type: 'error', message: event.message, result: event.completion };
    case 'final':
      // A completion job's final always carries its result; one without it cannot be answered.
      return event.completion
        ? { type: 'final', result: event.completion }
        : { type: 'error', message: 'The generation ended without a result' };
    case 'created':
    case 'title':
      return null;
    case 'run_step':
    case 'message_delta':
    case 'reasoning_delta':
    case 'tool_call_delta':
    case 'tool_result':
    case 'attachment':
      return { type: 'answer', payload: event };
  }
}

/**
 * OpenAI's finish reasons for an answer of this API; a vendor's unknown one (`other`) or none reads
 * as `stop`. Never `tool_calls`: the only tools are the agent's own, run on the server, and
 * `tool_calls` would tell an OpenAI client to run calls itself and send their results. A run that
 * ended on a tool step (its tool-call budget spent) has answered all it will: `stop`.
 */
export function openAIFinishReason(reason: string | null | undefined): 'stop' | 'length' | 'content_filter' {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}
