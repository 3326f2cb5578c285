import type { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { ServiceUnavailableError } from '@agents/core';

/** Redis is not reachable right now: whatever needs it answers 503 at once instead of waiting. */
export class RedisUnavailableError extends ServiceUnavailableError {
  constructor() {
    super('Redis is unavailable, so chat cannot run right now; try again shortly');
  }
}

/**
 * One ioredis connection that knows whether Redis is reachable. While it is down (an error was
 * seen and no `ready` since), `assertUp()` throws {@link RedisUnavailableError}, so a request fails
 * in microseconds rather than sitting in ioredis' offline queue; ioredis keeps reconnecting in the
 * background (capped backoff) and the link is usable again on its own once Redis is back. An
 * outage is logged once when it starts and once when it ends, not on every reconnect attempt.
 */
export class RedisLink<R extends Redis = Redis> {
  readonly client: R;
  private down = false;
  private closed = false;

  /**
   * @param options.subscriber for a subscriber connection whose owner subscribes again itself after
   *   a reconnect (no auto-resubscribe: then only what it still wants is subscribed, never a channel
   *   whose UNSUBSCRIBE was lost with the old connection). Only command connections are
   *   auto-pipelined.
   */
  constructor(
    url: string,
    connectionName: string,
    private readonly logger: Pick<Logger, 'warn' | 'log'>,
    options: { subscriber?: boolean } = {},
  ) {
    this.client = new Redis(url, {
      connectionName,
      autoResubscribe: !options.subscriber,
      // Commands issued while an earlier batch is still in flight go out together in one write: an
      // idle service sends each at once, a loaded one makes fewer, larger writes (each socket write
      // is a syscall, on the loopback the costliest part of a command).
      enableAutoPipelining: !options.subscriber,
      // A command caught by a dropped connection is retried once after the reconnect, then fails.
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    }) as R;
    this.client.on('error', (err: Error) => {
      if (this.down || this.closed) return;
      this.down = true;
      this.logger.warn(`Redis (${connectionName}) is unreachable: ${err.message}; reconnecting in the background`);
    });
    this.client.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.logger.log(`Redis (${connectionName}) is reachable again`);
    });
  }

  get isDown(): boolean {
    return this.down;
  }

  /** Throws {@link RedisUnavailableError} while the connection is known to be down. */
  assertUp(): void {
    if (this.down) throw new RedisUnavailableError();
  }

  /** QUIT when connected (pending replies arrive first); otherwise drop the socket and stop reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through: the connection went away meanwhile
      }
    }
    this.client.disconnect();
  }
}
