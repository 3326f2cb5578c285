import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import type { JobHandler, JobQueue } from './job-queue';

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
 * BullMQ behind the JobQueue contract. One attempt per job and no stalled-job retry
 * (`maxStalledCount: 0`): a job whose worker died is failed, and every process listening hears of
 * it through QueueEvents, so the stream can end with an error instead of hanging or replaying.
 */
export class BullMqJobQueue<T> implements JobQueue<T> {
  private readonly queue: Queue;
  private worker?: Worker;
  private events?: QueueEvents;
  private readonly failedListeners = new Set<(id: string, reason: string) => void>();

  constructor(
    private readonly name: string,
    private readonly connection: ConnectionOptions,
    private readonly options: { prefix?: string; stalledIntervalMs?: number; lockDurationMs?: number } = {},
  ) {
    this.queue = new Queue(name, {
      connection,
      prefix: options.prefix,
      defaultJobOptions: { attempts: 1, removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 86_400 } },
    });
  }

  async add(id: string, data: T): Promise<void> {
    await this.queue.add(this.name, data, { jobId: id });
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

  async close(drainMs = 10_000): Promise<void> {
    const worker = this.worker;
    if (worker) {
      // Stop fetching and let running jobs finish for up to drainMs; past that, force the worker
      // down without waiting (its jobs' locks lapse and they fail as stalled, never re-run).
      let timer: NodeJS.Timeout | undefined;
      const drained = worker.close().then(() => true);
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), drainMs)));
      if (!(await Promise.race([drained, timedOut]))) void worker.close(true).catch(() => undefined);
      clearTimeout(timer);
    }
    await this.events?.close();
    await this.queue.close();
  }
}
