import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { BullMqJobQueue, InProcessJobQueue, connectionFromUrl, type JobQueue } from '@agents/jobs';

/** The queue's name in Redis. */
export const FILE_PROCESSING_QUEUE = 'file-processing';

/** One job: index this file. Its job id is the file id, so a file is queued at most once at a time. */
export interface FileProcessingJob {
  fileId: string;
}

export const FILE_PROCESSING_JOBS = Symbol('FILE_PROCESSING_JOBS');
export type FileProcessingJobs = JobQueue<FileProcessingJob>;

/** BullMQ on Redis when REDIS_URL is set (the generation queue's settings); in-process in the embedded mode. */
export function createFileProcessingJobs(config: AppConfig): FileProcessingJobs {
  return config.redisUrl
    ? new BullMqJobQueue<FileProcessingJob>(FILE_PROCESSING_QUEUE, connectionFromUrl(config.redisUrl), {
        lockDurationMs: config.workerLockMs,
        stalledIntervalMs: config.workerLockMs,
      })
    : new InProcessJobQueue<FileProcessingJob>();
}

/** Closes the queue at shutdown (after the processor, if this process has one, drained it). */
@Injectable()
export class FileProcessingJobsShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(FILE_PROCESSING_JOBS) private readonly jobs: FileProcessingJobs,
    private readonly config: AppConfig,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.jobs.close(this.config.shutdownDrainMs);
  }
}
