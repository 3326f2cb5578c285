import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AppConfig, settlesWithin } from '@agents/core';
import { EVENT_BUS, GENERATION_STATE, type EventBus, type GenerationStateStore } from '@agents/streaming';
import { ChatMessageDto, streamEvents } from '@agents/chat';
import type { GenerationJob } from '@agents/chat';
import { GENERATION_JOBS, streamIdOfJob, type GenerationJobs } from '@agents/chat';
import { GenerationService, SHUTDOWN_FAILURE } from './generation.service';

/** After the drain timeout, how long cut-off generations get to store and announce their end. */
const ABANDON_GRACE_MS = 5_000;

export { SHUTDOWN_FAILURE };

/** What a client reads when the worker running its generation died. */
export const LOST_FAILURE = 'The generation failed unexpectedly; please try again';

/** A job this process is running, with the means to cut it off at shutdown. */
interface RunningJob {
  job: GenerationJob;
  shutdown: AbortController;
  finished: Promise<unknown>;
}

/**
 * Thin adapter from the queue to GenerationService, registered in the processes that consume jobs
 * (the worker; the api itself only in the embedded mode). A job that fails outside the service's
 * own handling — a crash, or a worker that died holding it — ends its stream with an error event
 * instead of leaving clients waiting.
 *
 * At shutdown it drains in `beforeApplicationShutdown`, i.e. before any `onApplicationShutdown`
 * closes the event bus, the generation state or the database that running generations still use:
 * it stops taking jobs and lets running ones finish for up to SHUTDOWN_DRAIN_SECONDS. A generation
 * still running then is cut off: its provider call is aborted and the generation ends itself as
 * failed — the partial answer stored with `error`, a failed status, one `error` frame. Only one
 * that cannot even do that within a few seconds (a dead database) has its stream ended here, so no
 * client waits on a process that is going away.
 */
@Injectable()
export class GenerationProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Generation');
  /** Jobs this process is running, by job id. */
  private readonly running = new Map<string, RunningJob>();

  constructor(
    @Inject(GENERATION_JOBS) private readonly jobs: GenerationJobs,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
    private readonly generation: GenerationService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.generation.warmUp();
    this.jobs.onFailed((jobId, reason) => void this.endFailed(streamIdOfJob(jobId), reason));
    this.jobs.process(
      async (job) => {
        const shutdown = new AbortController();
        const finished = this.generation.handle(job.data, shutdown.signal);
        this.running.set(job.id, { job: job.data, shutdown, finished });
        try {
          await finished;
        } finally {
          this.running.delete(job.id);
        }
      },
      { concurrency: this.config.workerConcurrency },
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    const drainMs = this.config.shutdownDrainMs;
    if (this.running.size > 0) this.logger.log(`Draining ${this.running.size} running generation(s)`);
    const closed = this.jobs.close(drainMs + ABANDON_GRACE_MS); // stops taking jobs at once
    if (!(await settlesWithin(closed, drainMs))) {
      const left = [...this.running.values()];
      this.logger.warn(`${left.length} generation(s) still running after ${drainMs} ms; ending them as failed`);
      for (const running of left) running.shutdown.abort();
      const ended = Promise.allSettled(left.map((running) => running.finished));
      if (!(await settlesWithin(ended, ABANDON_GRACE_MS))) {
        await Promise.all([...this.running.values()].map((running) => this.endStuck(running.job)));
      }
    }
    await closed;
  }

  /** A cut-off generation that could not end itself: its stream and status end here. */
  private async endStuck(job: GenerationJob): Promise<void> {
    await this.state.finish(job.streamId, 'failed', SHUTDOWN_FAILURE).catch(() => undefined);
    await this.bus
      .publish(job.streamId, streamEvents.error(SHUTDOWN_FAILURE), { terminal: true })
      .catch(() => undefined);
  }

  /**
   * A job failed outside the service's own handling: its worker died (or crashed). Every consuming
   * process hears of it; the one whose `finish` wins stores what was streamed and ends the stream.
   */
  private async endFailed(streamId: string, reason: string): Promise<void> {
    const state = await this.state.get(streamId).catch(() => null);
    if (!state || !(await this.state.finish(streamId, 'failed', LOST_FAILURE).catch(() => false))) return;
    this.logger.error(`Generation for stream ${streamId} failed: ${reason}`);
    const response = await this.generation.storeCutOff(state, LOST_FAILURE).catch((err: unknown) => {
      this.logger.error(`Could not store the cut-off answer of stream ${streamId}: ${String(err)}`);
      return null;
    });
    await this.bus
      .publish(
        streamId,
        streamEvents.error(LOST_FAILURE, response ? { responseMessage: ChatMessageDto.from(response) } : {}),
        { terminal: true },
      )
      .catch(() => undefined); // already ended, or expired: nothing to tell
  }
}
