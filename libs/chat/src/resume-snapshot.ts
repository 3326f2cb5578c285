import type { StreamEvent } from '@agents/streaming';
import type { ContentPart } from './message.entity';
import { ContentFold } from './content-fold';
import { readStreamEvent, type StreamAttachment } from './stream-events';

/** The first frame of a `resume=true` stream: where the answer stands, so a client can redraw it at once. */
export interface SyncPayload {
  sync: true;
  resumeState: {
    /** The run steps as their `on_run_step` events carried them. */
    runSteps: Record<string, unknown>[];
    aggregatedContent: ContentPart[];
    /** The tools' citations, images and resources so far, as their `attachment` events carried them. */
    attachments: StreamAttachment[];
    /** The `created` event's message as published (see isChatMessage to rely on its fields). */
    userMessage: unknown;
    responseMessageId: string | null;
    conversationId: string;
    /** The conversation's generated title, once its `title` event is out (absent before, and on later turns). */
    title?: string;
  };
  /** Always empty: every event after the snapshot follows as its own frame. */
  pendingEvents: [];
}

/**
 * Folds the events a stream has published so far into one snapshot: the user message from
 * `created`, the generated title from `title`, the run steps, and the content parts and attachments as {@link ContentFold} builds them.
 */
export function resumeSnapshot(streamId: string, events: readonly StreamEvent[]): SyncPayload {
  const fold = new ContentFold();
  const state: SyncPayload['resumeState'] = {
    runSteps: [],
    aggregatedContent: fold.content,
    attachments: fold.attachments,
    userMessage: null,
    responseMessageId: null,
    conversationId: streamId,
  };
  for (const { payload } of events) {
    const event = readStreamEvent(payload);
    if (!event) continue;
    if (event.kind === 'created') state.userMessage = event.message;
    if (event.kind === 'title') state.title = event.title;
    if (event.kind === 'run_step') {
      state.runSteps.push(event.step);
      state.responseMessageId ??= event.responseMessageId;
    }
    fold.apply(event);
  }
  return { sync: true, resumeState: state, pendingEvents: [] };
}
