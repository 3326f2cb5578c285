import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, ConflictError, TooManyRequestsError } from '@agents/core';
import {
  EVENT_BUS,
  GENERATION_STATE,
  type EventBus,
  type GenerationStateStore,
  type NewGeneration,
} from '@agents/streaming';
import { BudgetGate, type BudgetClaim } from '@agents/usage';
import type { GenerationJob } from './generation-job';
import { GENERATION_JOBS, generationJobId, type GenerationJobs } from './generation-queue';
import { streamEvents, type CreatedPayload } from './stream-events';

/** The stream (conversation) already has a running generation. */
export class GenerationBusyError extends ConflictError {
  constructor() {
    super('A generation is already running in this conversation; wait for it or abort it');
  }
}

/** The user already runs as many generations as MAX_CONCURRENT_GENERATIONS allows. */
export class GenerationLimitError extends TooManyRequestsError {
  constructor(readonly limit: number) {
    super(`You already have ${limit} generations running; wait for one to finish`, 5);
  }
}

export interface LaunchOptions {
  /** Published once the stream is open and `onBeforeEnqueue` succeeded, before the job is queued. */
  created?: CreatedPayload;
  /** Runs once the stream is open, before `created` and the job (e.g. storing the message, subscribing). */
  onBeforeEnqueue?: () => Promise<void>;
  /**
   * Runs first when the launch fails after the stream was opened, before the stream's terminal
   * error is published (e.g. closing a subscription that must not see it).
   */
  onFailure?: () => Promise<void>;
  /** The stream's terminal error when the launch fails: words the client may read. */
  failureMessage: string;
}

/**
 * The one way a generation starts and stops, for chat and the OpenAI-compatible API alike
 * (docs/architecture.md § The way a message travels): reserve it in the generation state (one
 * running generation per stream, at most MAX_CONCURRENT_GENERATIONS per user), open its stream,
 * enqueue its job for a worker, and undo the reservation when any of it fails, so no stream or
 * user stays blocked by a start that never began. Aborting goes through the state and the stream's
 * control channel, whichever worker holds (or will pick up) the job.
 */
@Injectable()
export class GenerationLauncher {
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(GENERATION_JOBS) private readonly jobs: GenerationJobs,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
    private readonly config: AppConfig,
    private readonly budgets: BudgetGate,
  ) {}

  /**
   * Records the generation as running, after reserving room for it in its user's and API key's
   * budgets. Throws BudgetExceededError when a budget is used up, {@link GenerationBusyError} when
   * its stream already runs one and {@link GenerationLimitError} when the user is at the limit;
   * nothing is recorded or held then.
   */
  async reserve(generation: NewGeneration, budget: Omit<BudgetClaim, 'id' | 'userId'>): Promise<void> {
    const held = await this.budgets.reserve({
      ...budget,
      id: generation.responseMessageId,
      userId: generation.userId,
    });
    const limit = this.config.maxConcurrentGenerations;
    let reserved: Awaited<ReturnType<GenerationStateStore['reserve']>>;
    try {
      reserved = await this.state.reserve(generation, { maxPerUser: limit });
    } catch (err) {
      if (held) await this.budgets.release(generation.responseMessageId);
      throw err;
    }
    if (reserved !== 'reserved' && held) await this.budgets.release(generation.responseMessageId);
    switch (reserved) {
      case 'reserved':
        return;
      case 'busy':
        throw new GenerationBusyError();
      case 'limit':
        throw new GenerationLimitError(limit);
    }
  }

  /**
   * Opens the reserved generation's stream and queues its job. A stream still open (another start
   * won the race) releases the reservation and throws {@link GenerationBusyError}, leaving that
   * stream alone. Any later failure releases the reservation, ends the stream with
   * `failureMessage`, and is rethrown.
   */
  async launch(job: GenerationJob, options: LaunchOptions): Promise<void> {
    const streamId = job.streamId;
    let opened: boolean;
    try {
      opened = await this.bus.create(streamId);
    } catch (err) {
      await this.release(job, 'not started');
      throw err;
    }
    if (!opened) {
      await this.release(job, 'stream already open');
      throw new GenerationBusyError();
    }
    try {
      await options.onBeforeEnqueue?.();
      if (options.created) await this.bus.publish(streamId, options.created);
      await this.jobs.add(generationJobId(job), job);
    } catch (err) {
      await options.onFailure?.().catch(() => undefined);
      await this.release(job, 'not started');
      await this.bus
        .publish(streamId, streamEvents.error(options.failureMessage), { terminal: true })
        .catch(() => undefined);
      throw err;
    }
  }

  /**
   * Asks whichever worker holds the generation — now, or once its queued job is picked up — to
   * stop. The flag first, then the message: a worker that listens already gets the message, one
   * that has not started yet finds the flag when it starts.
   */
  async abort(streamId: string, reason?: string): Promise<void> {
    await this.state.requestAbort(streamId);
    await this.bus.publishControl(streamId, reason === undefined ? { type: 'abort' } : { type: 'abort', reason });
  }

  /** True while the generation's stream is open or still replayable. */
  isLive(streamId: string): Promise<boolean> {
    return this.bus.exists(streamId);
  }

  /**
   * Ends the reservations of a generation that never began (best effort: the state's retention and
   * the budget reservation's expiry end them anyway).
   */
  private async release(job: GenerationJob, reason: string): Promise<void> {
    await this.state.finish(job.streamId, 'failed', reason).catch(() => undefined);
    await this.budgets.release(job.responseMessageId);
  }
}
