import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig, NotFoundError } from '@agents/core';
import { EVENT_BUS, isEventId, type EventBus, type StreamEvent, type Subscription } from '@agents/streaming';
import { resumeSnapshot, type SyncPayload } from './resume-snapshot';
import { SseConnections } from './sse-connections';
import { readStreamEvent, streamEvents, type StreamPayload } from './stream-events';

/**
 * An SSE frame: `id`, `event: message` (or `error` for a failure) and the JSON payload — the bus's
 * own text when it has it. A failure always ends its stream, so only a terminal event's payload
 * is read to name it.
 */
export function sseFrame(event: StreamEvent): string {
  const name = event.terminal ? sseEventName(readStreamEvent(event.payload)) : 'message';
  return `id: ${event.id}\nevent: ${name}\ndata: ${event.json ?? JSON.stringify(event.payload)}\n\n`;
}

/** The SSE `event:` line of a payload: a failure is `error`, so clients can tell it without parsing. */
function sseEventName(payload: StreamPayload | null): 'message' | 'error' {
  if (!payload) return 'message';
  switch (payload.kind) {
    case 'error':
      return 'error';
    case 'created':
    case 'run_step':
    case 'message_delta':
    case 'reasoning_delta':
    case 'tool_call_delta':
    case 'tool_result':
    case 'attachment':
    case 'title':
    case 'final':
      return 'message';
  }
}

/**
 * The headers of every Server-Sent Events response (docs/http-api.md § Streams): never cached or
 * transformed, and not buffered by proxies (nginx honours X-Accel-Buffering), so each frame reaches
 * the client at once.
 */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/**
 * Comment lines that keep a quiet connection open. Never a frame of their own (no blank line after
 * them): some clients (fetch-event-source) turn a comment-only frame into an empty message, on which
 * the usual `JSON.parse(event.data)` throws. A comment line joins the next frame instead, where
 * every parser skips it.
 */
export const SSE_CONNECTED = ': connected\n';
export const SSE_PING = ': ping\n';

/** The `resume=true` snapshot frame; its id is the last event it covers, so Last-Event-ID resumes after it. */
function syncFrame(payload: SyncPayload, id: string | undefined): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: message\ndata: ${JSON.stringify(payload)}\n\n`;
}

/**
 * Serves one stream as Server-Sent Events. It subscribes to the bus (which subscribes before it
 * reads the log, and drops duplicates), starting after `Last-Event-ID` when the client resumes,
 * so every event reaches the client exactly once and in order, on whichever api instance it lands.
 * A client that goes away only releases its subscription: the generation runs on in the worker.
 */
@Injectable()
export class StreamResponder {
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly config: AppConfig,
    private readonly connections: SseConnections,
  ) {}

  /**
   * With `resume` (and no usable Last-Event-ID) the events so far are folded into one `sync` frame
   * first; with a Last-Event-ID exactly the later events are replayed.
   */
  async serve(streamId: string, options: { lastEventId?: string; resume?: boolean }, res: Response): Promise<void> {
    const replayAfter = options.lastEventId !== undefined && isEventId(options.lastEventId);
    // Where the client stands: the last event it was sent (the bus drops anything at or before it).
    let position = replayAfter ? options.lastEventId! : '0';
    // Until the subscription is in place, a resuming client's events are collected for the snapshot.
    let backlog: StreamEvent[] | null = options.resume && !replayAfter ? [] : null;
    // Headers are set now and sent with the first write, so a stream that turns out not to exist
    // can still answer a plain 404.
    for (const [name, value] of Object.entries(SSE_HEADERS)) res.setHeader(name, value);
    const timer: { heartbeat?: NodeJS.Timeout } = {};
    let subscription: Subscription | null = null;
    let open = true;
    const finish = (): void => {
      if (!open) return;
      open = false;
      clearInterval(timer.heartbeat);
      void subscription?.close();
      res.end();
    };
    const deliver = (event: StreamEvent): void => {
      if (!open) return;
      res.write(sseFrame(event));
      position = event.id;
      if (event.terminal) finish();
    };
    const onEvent = (event: StreamEvent): void => {
      if (backlog) backlog.push(event);
      else deliver(event);
    };
    res.on('close', finish); // before subscribing, so a client gone meanwhile releases it at once
    subscription = await this.bus.subscribe(streamId, position, onEvent);
    if (!subscription) {
      for (const name of Object.keys(SSE_HEADERS)) res.removeHeader(name);
      throw new NotFoundError(
        `Stream not found or no longer kept; the conversation's stored messages are at GET /api/messages/${streamId}`,
      );
    }
    if (backlog) {
      const events = backlog;
      backlog = null;
      const last = events[events.length - 1];
      if (open) res.write(syncFrame(resumeSnapshot(streamId, events), last?.id));
      if (last) position = last.id;
      if (last?.terminal) deliver(last);
    }
    if (!open) {
      await subscription.close(); // the whole stream was replayed and ended while subscribing
      return;
    }
    this.connections.register(res, finish); // ended cleanly at shutdown, so clients resume elsewhere
    res.write(SSE_CONNECTED);
    timer.heartbeat = setInterval(() => res.write(SSE_PING), this.config.sseHeartbeatMs);
    timer.heartbeat.unref();
    const follow = (current: Subscription): void => {
      void current.done.then(async (end) => {
        if (end !== 'lost') return finish();
        // The stream vanished under the client (Redis came back empty after an outage). The worker
        // re-opens it holding just its terminal event, after the client's position: wait briefly for
        // that; failing it, the client still gets one terminal frame, never a silent close.
        const deadline = Date.now() + LOST_STREAM_GRACE_MS;
        while (open && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, LOST_STREAM_POLL_MS));
          const again = open ? await this.bus.subscribe(streamId, position, deliver).catch(() => null) : null;
          if (again) {
            subscription = again;
            if (open) follow(again);
            else await again.close();
            return;
          }
        }
        if (open) res.write(LOST_STREAM_FRAME);
        finish();
      });
    };
    follow(subscription);
  }
}

/** How long a client whose stream vanished waits for the worker to re-open it with the stream's end. */
const LOST_STREAM_GRACE_MS = 3_000;
const LOST_STREAM_POLL_MS = 250;

/** The terminal frame of a stream whose end was lost with Redis' data (no id: it is not in any log). */
const LOST_STREAM_FRAME = `event: error\ndata: ${JSON.stringify(
  streamEvents.error(
    'The stream was interrupted by a server fault before it ended; what was answered is saved in the conversation',
  ),
)}\n\n`;
