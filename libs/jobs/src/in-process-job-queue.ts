import { settlesWithin } from '@agents/core';
import type { JobHandler, JobQueue, QueuedJob } from './job-queue';

/** The embedded mode's queue: jobs run in this process, in order of arrival, `concurrency` at a time. */
export class InProcessJobQueue<T> implements JobQueue<T> {
  private readonly waiting: QueuedJob<T>[] = [];
  private readonly known = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly failedListeners = new Set<(id: string, reason: string) => void>();
  private handler?: JobHandler<T>;
  private concurrency = 1;
  private closed = false;

  add(id: string, data: T): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The queue is closed'));
    if (!this.known.has(id)) {
      this.known.add(id);
      this.waiting.push({ id, data });
      this.pump();
    }
    return Promise.resolve();
  }

  process(handler: JobHandler<T>, options: { concurrency: number }): void {
    if (this.handler) throw new Error('process() was already called');
    this.handler = handler;
    this.concurrency = Math.max(1, options.concurrency);
    this.pump();
  }

  onFailed(listener: (id: string, reason: string) => void): () => void {
    this.failedListeners.add(listener);
    return () => this.failedListeners.delete(listener);
  }

  async close(drainMs = 10_000): Promise<void> {
    this.closed = true;
    await settlesWithin(Promise.allSettled([...this.running]), drainMs);
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler) return;
    while (!this.closed && this.running.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      const run: Promise<void> = Promise.resolve()
        .then(() => handler(job))
        .catch((err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          for (const listener of this.failedListeners) listener(job.id, reason);
        })
        .finally(() => {
          this.running.delete(run);
          this.known.delete(job.id);
          this.pump();
        });
      this.running.add(run);
    }
  }
}
