import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { EVENT_BUS, GENERATION_STATE, type EventBus, type GenerationStateStore } from '@agents/streaming';
import { GENERATION_JOBS, streamIdOfJob, type GenerationJobs } from './generation-queue';
import { GenerationService } from './generation.service';

export const CONSUME_GENERATION_JOBS = Symbol('CONSUME_GENERATION_JOBS');

/**
 * Thin adapter from the queue to GenerationService, registered in the processes that consume jobs
 * (the worker; the api itself only in the embedded mode). A job that fails outside the service's
 * own handling — a crash, or a worker that died holding it — ends its stream with an error event
 * instead of leaving clients waiting.
 */
@Injectable()
export class GenerationProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger('Generation');

  constructor(
    @Inject(GENERATION_JOBS) private readonly jobs: GenerationJobs,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
    @Inject(CONSUME_GENERATION_JOBS) private readonly consume: boolean,
    private readonly generation: GenerationService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.consume) return;
    this.jobs.onFailed((jobId, reason) => void this.endFailed(streamIdOfJob(jobId), reason));
    this.jobs.process(
      async (job) => {
        await this.generation.handle(job.data);
      },
      { concurrency: this.config.workerConcurrency },
    );
  }

  private async endFailed(streamId: string, reason: string): Promise<void> {
    this.logger.error(`Generation for stream ${streamId} failed: ${reason}`);
    await this.state.finish(streamId, 'failed', reason).catch(() => undefined);
    try {
      await this.bus.publish(
        streamId,
        { error: 'The generation failed unexpectedly; please try again' },
        { terminal: true },
      );
    } catch {
      // already ended (the service announced its own terminal event) or expired: nothing to do
    }
  }
}
