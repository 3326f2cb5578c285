import { Logger } from '@nestjs/common';
import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import type Redis from 'ioredis';
import { ServiceUnavailableError, settlesWithin } from '@agents/core';
import type { JobHandler, JobQueue } from './job-queue';

/** How long `add` may wait on Redis before the caller gets a 503 instead of a hanging request. */
const ADD_TIMEOUT_MS = 5_000;

function redisUnavailable(): ServiceUnavailableError {
  return new ServiceUnavailableError('Redis is unavailable, so the job queue cannot take work; try again shortly');
}

/** Redis connection settings from a redis:// URL, as BullMQ wants them. */
export function connectionFromUrl(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null, // BullMQ workers block on Redis; they must not give up
  };
}

/**
 * The producer's connection: unlike the blocking worker connections it may give up on a command,
 * so an `add` during an outage fails instead of queueing forever.
 */
function producerConnection(connection: ConnectionOptions): ConnectionOptions {
  return { ...connection, maxRetriesPerRequest: 1 } as ConnectionOptions;
}

/**
 * BullMQ behind the JobQueue contract. One attempt per job and no stalled-job retry
 * (`maxStalledCount: 0`): a job whose worker died is failed, and every process listening hears of
 * it through QueueEvents, so the stream can end with an error instead of hanging or replaying.
 */
export class BullMqJobQueue<T> implements JobQueue<T> {
  private readonly queue: Queue;
  private worker?: Worker;
  private events?: QueueEvents;
  private readonly failedListeners = new Set<(id: string, reason: string) => void>();
  private readonly logger = new Logger('JobQueue');
  /** The producer's ioredis client, once it first connected. */
  private client?: Redis;
  /** An error was seen on the producer connection; it is down unless the client says ready. */
  private failedOnce = false;
  private closing?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly connection: ConnectionOptions,
    private readonly options: { prefix?: string; stalledIntervalMs?: number; lockDurationMs?: number } = {},
  ) {
    this.queue = new Queue(name, {
      connection: producerConnection(connection),
      prefix: options.prefix,
      defaultJobOptions: { attempts: 1, removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 86_400 } },
    });
    this.queue.on('error', (err: Error) => {
      if (this.down || this.closing) return;
      this.failedOnce = true;
      this.logger.warn(`Redis (queue ${name}) is unreachable: ${err.message}; reconnecting in the background`);
    });
    void this.queue.client.then(
      (client) => (this.client = client as unknown as Redis),
      () => undefined,
    );
  }

  /** Redis is known to be unreachable: an error was seen and the connection is not ready. */
  private get down(): boolean {
    return this.failedOnce && this.client?.status !== 'ready';
  }

  /** Fails fast (503) while Redis is down, and never waits on Redis longer than ADD_TIMEOUT_MS. */
  async add(id: string, data: T): Promise<void> {
    if (this.down) throw redisUnavailable();
    const adding = this.queue.add(this.name, data, { jobId: id });
    if (!(await settlesWithin(adding, ADD_TIMEOUT_MS))) throw redisUnavailable();
    await adding;
  }

  process(handler: JobHandler<T>, options: { concurrency: number }): void {
    if (this.worker) throw new Error('process() was already called');
    this.worker = new Worker(
      this.name,
      async (job) => {
        await handler({ id: job.id!, data: job.data as T });
      },
      {
        connection: this.connection,
        prefix: this.options.prefix,
        concurrency: Math.max(1, options.concurrency),
        maxStalledCount: 0,
        stalledInterval: this.options.stalledIntervalMs ?? 30_000,
        lockDuration: this.options.lockDurationMs ?? 30_000,
      },
    );
    this.worker.on('error', () => undefined); // connection errors are retried by BullMQ itself
  }

  onFailed(listener: (id: string, reason: string) => void): () => void {
    if (!this.events) {
      this.events = new QueueEvents(this.name, { connection: this.connection, prefix: this.options.prefix });
      this.events.on('failed', ({ jobId, failedReason }) => {
        for (const l of this.failedListeners) l(jobId, failedReason);
      });
      this.events.on('error', () => undefined);
    }
    this.failedListeners.add(listener);
    return () => this.failedListeners.delete(listener);
  }

  /** Ready to receive failure events (QueueEvents subscribes asynchronously). */
  async waitUntilReady(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events?.waitUntilReady(), this.worker?.waitUntilReady()]);
  }

  /** Idempotent: a second call waits for the first one's drain. */
  close(drainMs = 10_000): Promise<void> {
    this.closing ??= this.drainAndClose(drainMs);
    return this.closing;
  }

  private async drainAndClose(drainMs: number): Promise<void> {
    const worker = this.worker;
    if (worker) {
      // Stop fetching and let running jobs finish for up to drainMs; past that, force the worker
      // down without waiting (its jobs' locks lapse and they fail as stalled, never re-run).
      if (!(await settlesWithin(worker.close(), drainMs))) void worker.close(true).catch(() => undefined);
    }
    await this.events?.close();
    await this.queue.close();
  }
}
