import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig, NotFoundError } from '@agents/core';
import { EVENT_BUS, isEventId, type EventBus, type StreamEvent, type Subscription } from '@agents/streaming';

/** An SSE frame: `id`, `event: message` (or `error` for a failure) and the JSON payload. */
export function sseFrame(event: StreamEvent): string {
  const isError = typeof event.payload === 'object' && event.payload !== null && 'error' in event.payload;
  return `id: ${event.id}\nevent: ${isError ? 'error' : 'message'}\ndata: ${JSON.stringify(event.payload)}\n\n`;
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
  ) {}

  async serve(streamId: string, lastEventId: string | undefined, req: Request, res: Response): Promise<void> {
    const after = lastEventId !== undefined && isEventId(lastEventId) ? lastEventId : '0';
    // Headers are set now and sent with the first write, so a stream that turns out not to exist
    // can still answer a plain 404.
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
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
    subscription = await this.bus.subscribe(streamId, after, (event) => {
      if (!open) return;
      res.write(sseFrame(event));
      if (event.terminal) finish();
    });
    if (!subscription) {
      for (const header of ['Content-Type', 'Cache-Control', 'Connection', 'X-Accel-Buffering'])
        res.removeHeader(header);
      throw new NotFoundError('Stream not found or expired');
    }
    if (!open) {
      await subscription.close(); // the whole stream was replayed and ended while subscribing
      return;
    }
    res.write(': connected\n\n');
    timer.heartbeat = setInterval(() => res.write(': ping\n\n'), this.config.sseHeartbeatMs);
    timer.heartbeat.unref();
    req.on('close', finish);
    void subscription.done.then(finish);
  }
}
