import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Response } from 'express';

/** How long a closing SSE response may take to flush before its socket is cut. */
const FLUSH_TIMEOUT_MS = 1_000;

/**
 * The SSE responses this process has open. At shutdown (`beforeApplicationShutdown`, before Nest
 * closes the HTTP server) each is ended cleanly — no error frame, just the end of the stream — and
 * its connection closed, so clients reconnect to another api instance with Last-Event-ID at once,
 * and the server's close() does not wait on connections that would otherwise stay open until the
 * generation ends. Streams opened while shutting down are ended straight away.
 */
@Injectable()
export class SseConnections implements BeforeApplicationShutdown {
  private readonly open = new Map<Response, () => void>();
  private closing = false;

  /**
   * Tracks an open SSE response until it finishes or its connection closes. `end` closes it the
   * responder's way (releasing its bus subscription and timers). A response whose client is
   * already gone — it left while the stream was being set up, before the responder could hear of
   * it — or one opened during shutdown is ended on the next turn instead, after the caller has
   * finished setting it up, so nothing it set up outlives it.
   */
  register(res: Response, end: () => void): void {
    const gone = res.writableEnded || res.destroyed || !res.socket || res.socket.destroyed;
    if (this.closing || gone) {
      setImmediate(() => void closeGracefully(res, end));
      return;
    }
    this.open.set(res, end);
    const untrack = (): void => {
      this.open.delete(res);
    };
    res.once('finish', untrack);
    res.once('close', untrack);
  }

  /** Open SSE responses (for leak tests and diagnostics). */
  get size(): number {
    return this.open.size;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const entries = [...this.open];
    this.open.clear();
    await Promise.all(entries.map(([res, end]) => closeGracefully(res, end)));
  }
}

/** Ends the response, waits until it is flushed, then closes its connection (no keep-alive reuse). */
async function closeGracefully(res: Response, end: () => void): Promise<void> {
  end();
  if (!res.writableFinished && !res.destroyed) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, FLUSH_TIMEOUT_MS);
      function done(): void {
        clearTimeout(timer);
        res.off('finish', done);
        res.off('close', done);
        resolve();
      }
      res.once('finish', done);
      res.once('close', done);
    });
  }
  res.socket?.end();
}
