import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AppConfig, settlesWithin } from '@agents/core';
import { EVENT_BUS, GENERATION_STATE, type EventBus, type GenerationStateStore } from '@agents/streaming';
import type { GenerationJob } from './generation-job';
import { GENERATION_JOBS, streamIdOfJob, type GenerationJobs } from './generation-queue';
import { GenerationService } from './generation.service';

export const CONSUME_GENERATION_JOBS = Symbol('CONSUME_GENERATION_JOBS');

/** After the drain timeout, how long abandoned generations get to stop before the queue is forced shut. */
const ABANDON_GRACE_MS = 5_000;

/** What a client reads when its generation was cut off by a worker shutting down. */
export const SHUTDOWN_FAILURE = 'The worker shut down before the answer was finished; please try again';

/**
 * Thin adapter from the queue to GenerationService, registered in the processes that consume jobs
 * (the worker; the api itself only in the embedded mode). A job that fails outside the service's
 * own handling — a crash, or a worker that died holding it — ends its stream with an error event
 * instead of leaving clients waiting.
 *
 * At shutdown it drains in `beforeApplicationShutdown`, i.e. before any `onApplicationShutdown`
 * closes the event bus, the generation state or the database that running generations still use:
 * it stops taking jobs and lets running ones finish for up to SHUTDOWN_DRAIN_SECONDS. A generation
 * still running then is abandoned: its stream ends with an error event and a failed status, and
 * its provider call is aborted, so no client waits on a process that is going away.
 */
@Injectable()
export class GenerationProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Generation');
  /** Jobs this process is running, by job id. */
  private readonly running = new Map<string, GenerationJob>();

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
        this.running.set(job.id, job.data);
        try {
          await this.generation.handle(job.data);
        } finally {
          this.running.delete(job.id);
        }
      },
      { concurrency: this.config.workerConcurrency },
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.consume) return;
    const drainMs = this.config.shutdownDrainMs;
    if (this.running.size > 0) this.logger.log(`Draining ${this.running.size} running generation(s)`);
    const closed = this.jobs.close(drainMs + ABANDON_GRACE_MS); // stops taking jobs at once
    if (!(await settlesWithin(closed, drainMs))) {
      const left = [...this.running.values()];
      this.logger.warn(`${left.length} generation(s) still running after ${drainMs} ms; ending them as failed`);
      await Promise.all(left.map((job) => this.abandon(job)));
    }
    await closed;
  }

  /** Ends the stream as failed first (so clients hear it now), then stops the provider call. */
  private async abandon(job: GenerationJob): Promise<void> {
    await this.state.finish(job.streamId, 'failed', SHUTDOWN_FAILURE).catch(() => undefined);
    await this.bus.publish(job.streamId, { error: SHUTDOWN_FAILURE }, { terminal: true }).catch(() => undefined);
    await this.bus.publishControl(job.streamId, { type: 'abort', reason: 'shutdown' }).catch(() => undefined);
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
