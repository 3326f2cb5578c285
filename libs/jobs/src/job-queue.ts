/** One job as a processor sees it. */
export interface QueuedJob<T> {
  id: string;
  data: T;
}

export type JobHandler<T> = (job: QueuedJob<T>) => Promise<void>;

/**
 * A work queue with two implementations behind one contract: BullMQ on Redis for the distributed
 * mode and an in-process runner for the embedded one. A job runs at most once: a handler that
 * throws, or a worker that dies holding the job, fails it — it is never silently re-run, because a
 * generation that already streamed tokens must not stream them twice.
 */
export interface JobQueue<T> {
  /** Adds a job. Adding an id that is already queued or running is a no-op (idempotent retries). */
  add(id: string, data: T): Promise<void>;
  /** Starts taking jobs, at most `concurrency` at a time. Call once per process. */
  process(handler: JobHandler<T>, options: { concurrency: number }): void;
  /** Called (in any process listening) when a job fails: its handler threw, or its worker died. */
  onFailed(listener: (id: string, reason: string) => void): () => void;
  /** Stops taking jobs and waits up to `drainMs` for running ones to finish. */
  close(drainMs?: number): Promise<void>;
}
