import type { StreamEvent } from '@agents/streaming';
import type { ContentPart } from './message.entity';

/** The first frame of a `resume=true` stream: where the answer stands, so a client can redraw it at once. */
export interface SyncPayload {
  sync: true;
  resumeState: {
    runSteps: unknown[];
    aggregatedContent: ContentPart[];
    userMessage: unknown;
    responseMessageId: string | null;
    conversationId: string;
  };
  /** Always empty: every event after the snapshot follows as its own frame. */
  pendingEvents: [];
}

type ToolCallPart = Extract<ContentPart, { type: 'tool_call' }>;

/** The parts of the stream payloads (docs/http-api.md § Streams) a snapshot reads; anything else is passed over. */
interface EventPayload {
  created?: boolean;
  message?: unknown;
  event?: string;
  data?: {
    stepDetails?: { message_creation?: { message_id?: string } };
    delta?: { content?: { text?: unknown; think?: unknown }[] };
    result?: { tool_call?: ToolCallPart['tool_call'] };
  };
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
    if (typeof payload !== 'object' || payload === null) continue;
    const p = payload as EventPayload;
    if (p.created === true) {
      state.userMessage = p.message ?? null;
      continue;
    }
    const data = p.data;
    switch (p.event) {
      case 'on_run_step':
        state.runSteps.push(data);
        state.responseMessageId ??= data?.stepDetails?.message_creation?.message_id ?? null;
        break;
      case 'on_message_delta':
        for (const part of data?.delta?.content ?? []) {
          if (typeof part.text === 'string') append('text', part.text);
        }
        break;
      case 'on_reasoning_delta':
        for (const part of data?.delta?.content ?? []) {
          if (typeof part.think === 'string') append('think', part.think);
        }
        break;
      case 'on_run_step_completed': {
        const call = data?.result?.tool_call;
        if (call) content.push({ type: 'tool_call', tool_call: call });
        break;
      }
      case undefined:
      default:
        break;
    }
  }
  return { sync: true, resumeState: state, pendingEvents: [] };
}
