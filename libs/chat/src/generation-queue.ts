import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { BullMqJobQueue, InProcessJobQueue, connectionFromUrl, type JobQueue } from '@agents/jobs';
import { GENERATION_QUEUE, type GenerationJob } from './generation-job';

export const GENERATION_JOBS = Symbol('GENERATION_JOBS');
export type GenerationJobs = JobQueue<GenerationJob>;

/** BullMQ on Redis when REDIS_URL is set; an in-process runner in the embedded mode. */
export function createGenerationJobs(config: AppConfig): GenerationJobs {
  return config.redisUrl
    ? new BullMqJobQueue<GenerationJob>(GENERATION_QUEUE, connectionFromUrl(config.redisUrl), {
        lockDurationMs: config.workerLockMs,
        stalledIntervalMs: config.workerLockMs,
      })
    : new InProcessJobQueue<GenerationJob>();
}

/** A job's id names its stream, so a failure reported by id can end the right stream. */
export function generationJobId(job: GenerationJob): string {
  return `${job.streamId}.${job.responseMessageId}`;
}

export function streamIdOfJob(jobId: string): string {
  return jobId.split('.')[0] ?? jobId;
}

/** Stops taking jobs at shutdown and lets running generations finish (drain), then closes. */
@Injectable()
export class GenerationJobsShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(GENERATION_JOBS) private readonly jobs: GenerationJobs,
    private readonly config: AppConfig,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.jobs.close(this.config.shutdownDrainMs);
  }
}
