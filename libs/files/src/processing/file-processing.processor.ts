import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { FILE_PROCESSING_JOBS, type FileProcessingJobs } from './file-processing-queue';
import { FileIndexer, UNEXPECTED_FAILURE } from './file-indexer';

/** Files indexed at once by one process (each extraction has a thread of its own). */
export const FILE_PROCESSING_CONCURRENCY = 2;

/** How a job that fails for a reason that is not the file's (the database, the storage) is retried. */
export interface FileProcessingRetry {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The wait before the second attempt; it quadruples for each further one. */
  backoffMs: number;
}

export const FILE_PROCESSING_RETRY = Symbol('FILE_PROCESSING_RETRY');
export const DEFAULT_FILE_PROCESSING_RETRY: FileProcessingRetry = { attempts: 3, backoffMs: 2_000 };

/**
 * Thin adapter from the file-processing queue to FileIndexer, registered where jobs are consumed
 * (the worker; the api only in the embedded mode). The queue runs a job once, so the retries of a
 * transient failure happen here, with backoff; a file whose last attempt failed is marked failed.
 * At shutdown it stops taking jobs and lets running ones finish for SHUTDOWN_DRAIN_SECONDS; a file
 * waiting for a retry is marked failed at once rather than left `processing`.
 */
@Injectable()
export class FileProcessingProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('FileProcessing');
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(FILE_PROCESSING_JOBS) private readonly jobs: FileProcessingJobs,
    private readonly indexer: FileIndexer,
    private readonly config: AppConfig,
    @Optional()
    @Inject(FILE_PROCESSING_RETRY)
    private readonly retry: FileProcessingRetry = DEFAULT_FILE_PROCESSING_RETRY,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.process((job) => this.handle(job.data.fileId), { concurrency: FILE_PROCESSING_CONCURRENCY });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.abort();
    await this.jobs.close(this.config.shutdownDrainMs);
  }

  /** Indexes one file, retrying unexpected failures; rejects (failing the job) when none succeeded. */
  async handle(fileId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const lastAttempt = attempt >= this.retry.attempts;
      try {
        const outcome = await this.indexer.process(fileId, { lastAttempt });
        if (outcome.status === 'failed') this.logger.log(`File ${fileId} failed: ${outcome.error}`);
        return;
      } catch (err) {
        if (lastAttempt) throw err;
        const delay = this.retry.backoffMs * 4 ** (attempt - 1);
        this.logger.warn(`Retrying file ${fileId} in ${delay} ms (attempt ${attempt + 1} of ${this.retry.attempts})`);
        if (!(await this.wait(delay))) {
          await this.indexer.fail(fileId, UNEXPECTED_FAILURE);
          throw err;
        }
      }
    }
  }

  /** False when shutdown cut the wait short. */
  private wait(ms: number): Promise<boolean> {
    const signal = this.shutdown.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
