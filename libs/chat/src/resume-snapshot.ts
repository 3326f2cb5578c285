import type { StreamEvent } from '@agents/streaming';
import type { ContentPart } from './message.entity';
import { readStreamEvent } from './stream-events';

/** The first frame of a `resume=true` stream: where the answer stands, so a client can redraw it at once. */
export interface SyncPayload {
  sync: true;
  resumeState: {
    /** The run steps as their `on_run_step` events carried them. */
    runSteps: Record<string, unknown>[];
    aggregatedContent: ContentPart[];
    /** The `created` event's message as published (see isChatMessage to rely on its fields). */
    userMessage: unknown;
    responseMessageId: string | null;
    conversationId: string;
  };
  /** Always empty: every event after the snapshot follows as its own frame. */
  pendingEvents: [];
}

/**
 * Folds the events a stream has published so far into one snapshot: the user message from
 * `created`, the run steps, and the text and reasoning deltas merged into content parts, in order.
 */
export function resumeSnapshot(streamId: string, events: readonly StreamEvent[]): SyncPayload {
  const state: SyncPayload['resumeState'] = {
    runSteps: [],
    aggregatedContent: [],
    userMessage: null,
    responseMessageId: null,
    conversationId: streamId,
  };
  const content = state.aggregatedContent;
  const append = (type: 'text' | 'think', piece: string): void => {
    const last = content[content.length - 1];
    if (last?.type === 'text' && type === 'text') last.text += piece;
    else if (last?.type === 'think' && type === 'think') last.think += piece;
    else content.push(type === 'text' ? { type, text: piece } : { type, think: piece });
  };
  for (const { payload } of events) {
    const event = readStreamEvent(payload);
    if (!event) continue;
    switch (event.kind) {
      case 'created':
        state.userMessage = event.message;
        break;
      case 'run_step':
        state.runSteps.push(event.step);
        state.responseMessageId ??= event.responseMessageId;
        break;
      case 'message_delta':
        append('text', event.text);
        break;
      case 'reasoning_delta':
        append('think', event.text);
        break;
      case 'tool_result':
        content.push({ type: 'tool_call', tool_call: event.toolCall });
        break;
      // Tool-call fragments are summed up by their result; attachments and the end add no content.
      case 'tool_call_delta':
      case 'attachment':
      case 'final':
      case 'error':
        break;
    }
  }
  return { sync: true, resumeState: state, pendingEvents: [] };
}
