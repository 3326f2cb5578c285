import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { AgentAccessPolicy, type AgentEntity } from '@agents/agents';
import type { AuthUser } from '@agents/auth';
import {
  GenerationBusyError,
  GenerationLauncher,
  GenerationLimitError,
  type CompletionGenerationJob,
} from '@agents/chat';
import { AGENT_ID_PATTERN, AppConfig, ForbiddenError, NotFoundError, settlesWithin } from '@agents/core';
import { EVENT_BUS, type EventBus, type Subscription } from '@agents/streaming';
import { BudgetExceededError } from '@agents/usage';
import { AgentNamesRepository } from './agent-names.repository';
import { readGenerationEvent, type GenerationEvent } from './generation-events';
import { OpenAIError } from './openai-error';
import type { CompletionInput } from './request-mapping';

/** An ambiguous model name's error lists at most this many agent ids. */
export const MAX_NAME_CANDIDATES = 10;

/** How long an aborted completion's subscription waits for the worker's terminal event before it lets go. */
const ABORT_WAIT_MS = 10_000;

/** A generation started for one request, delivering its events until the terminal one. */
export interface RunningCompletion {
  readonly streamId: string;
  readonly agent: AgentEntity;
  /** Resolves when delivery stops (terminal event handled, or closed). */
  readonly done: Promise<unknown>;
  /** The client went away: stop the generation (the provider sees its connection closed). */
  abort(): void;
}

/**
 * Starts completions through the same queue, worker and event bus as chat (docs/architecture.md
 * § The way a message travels), so they scale, fail and abort the same way: authorize USE on the
 * agent, pin its current version, count the generation against the user's concurrent limit, open
 * the stream, subscribe, enqueue.
 */
@Injectable()
export class CompletionGenerations {
  constructor(
    private readonly access: AgentAccessPolicy,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly launcher: GenerationLauncher,
    private readonly config: AppConfig,
    private readonly names: AgentNamesRepository,
  ) {}

  /**
   * The agent behind `model` if the caller may USE it: an agent id (404 `model_not_found`, or 403
   * when the caller may see but not use it), or else an agent's name (see {@link agentNamed}).
   */
  async usableAgent(user: AuthUser, model: string): Promise<AgentEntity> {
    if (!AGENT_ID_PATTERN.test(model)) return this.agentNamed(user, model);
    try {
      return await this.access.usableAgent(user, model);
    } catch (err) {
      if (err instanceof NotFoundError) throw modelNotFound(model);
      if (err instanceof ForbiddenError) {
        throw new OpenAIError(
          403,
          `You do not have permission to use the model '${model}'.`,
          'permission_error',
          'permission_error',
          'model',
        );
      }
      throw err;
    }
  }

  /**
   * The one agent called `model` among those the caller may USE: gateways configure models by
   * name. The exact name wins; only when no agent has it does a match ignoring case count. No
   * match is 404 `model_not_found` (agents the caller may not use are not considered, so none is
   * revealed); several are 400 `model_ambiguous`, listing their ids to pass instead.
   */
  private async agentNamed(user: AuthUser, model: string): Promise<AgentEntity> {
    const viewer = { id: user.id, isAdmin: user.role === 'ADMIN' };
    let matches = await this.names.findUsableByName(viewer, model, 'exact', MAX_NAME_CANDIDATES + 1);
    if (matches.length === 0) {
      matches = await this.names.findUsableByName(viewer, model, 'any-case', MAX_NAME_CANDIDATES + 1);
    }
    if (matches.length === 1) return matches[0];
    if (matches.length === 0) throw modelNotFound(model);
    const listed = matches.slice(0, MAX_NAME_CANDIDATES).map((agent) => agent.id);
    const count = matches.length > MAX_NAME_CANDIDATES ? `more than ${MAX_NAME_CANDIDATES}` : String(matches.length);
    throw OpenAIError.invalidRequest(
      `The model '${model}' names ${count} agents you may use: ${listed.join(', ')}. Pass one of their ids as model.`,
      'model',
      'model_ambiguous',
    );
  }

  /**
   * Starts the generation and hands each event to `onEvent` (synchronously, in order) until the
   * terminal one. Errors before the job is queued (no USE, over the limit) are thrown.
   */
  async start(
    user: AuthUser,
    agent: AgentEntity,
    input: CompletionInput,
    onEvent: (event: GenerationEvent) => void,
  ): Promise<RunningCompletion> {
    const streamId = randomUUID();
    const job: CompletionGenerationJob = {
      kind: 'completion',
      streamId,
      userId: user.id,
      agentId: agent.id,
      agentVersion: agent.version,
      responseMessageId: randomUUID(),
      ...(user.apiKeyId ? { apiKeyId: user.apiKeyId } : {}),
      messages: input.messages,
      ...(input.extraInstructions ? { extraInstructions: input.extraInstructions } : {}),
      overrides: input.overrides,
    };
    // Completions count against the same per-user limit as chat: both hold a worker slot and a provider call.
    try {
      await this.launcher.reserve(
        {
          streamId,
          conversationId: streamId,
          userId: user.id,
          agentId: agent.id,
          userMessageId: streamId,
          responseMessageId: job.responseMessageId,
        },
        { apiKeyId: user.apiKeyId, provider: agent.provider, model: agent.model },
      );
    } catch (err) {
      if (err instanceof BudgetExceededError) {
        throw OpenAIError.budgetExceeded(err.message, err.retryAfterSeconds);
      }
      // A fresh stream id is never busy: only the user's limit can refuse it, in OpenAI's words.
      if (!(err instanceof GenerationLimitError || err instanceof GenerationBusyError)) throw err;
      throw new OpenAIError(
        429,
        `You already have ${this.config.maxConcurrentGenerations} generations running; wait for one to finish.`,
        'requests',
        'rate_limit_exceeded',
        null,
        5,
      );
    }
    let ended = false;
    // Set by the launch's first step; a holder, as TypeScript does not follow assignments in callbacks.
    const listening: { subscription?: Subscription | null } = {};
    await this.launcher.launch(job, {
      // Subscribed before the job is queued, so not one event is missed.
      onBeforeEnqueue: async () => {
        listening.subscription = await this.bus.subscribe(streamId, '0', (event) => {
          if (event.terminal) ended = true;
          const parsed = readGenerationEvent(event.payload);
          if (parsed) onEvent(parsed);
        });
        if (!listening.subscription) throw new Error(`stream ${streamId} vanished before it started`);
      },
      // Closed before the stream's error is published: the caller hears of the failure once, thrown.
      onFailure: async () => {
        await listening.subscription?.close();
      },
      failureMessage: 'The generation could not be started',
    });
    const sub = listening.subscription;
    if (!sub) throw new Error(`stream ${streamId} vanished before it started`);
    return {
      streamId,
      agent,
      done: sub.done,
      abort: () => void this.abort(streamId, () => ended, sub),
    };
  }

  /**
   * Asks the worker to stop — through the generation state, which a worker that has not started yet
   * reads when it does, and the control channel for one that runs — then lets the subscription go
   * once the stream ended (or after a bound).
   */
  private async abort(streamId: string, ended: () => boolean, subscription: Subscription): Promise<void> {
    if (!ended()) {
      try {
        await this.launcher.abort(streamId, 'client disconnected');
      } catch {
        // Redis is down: the worker cannot publish either, and the stream ends when it comes back
      }
      await settlesWithin(subscription.done, ABORT_WAIT_MS);
    }
    await subscription.close();
  }
}

/**
 * Ties a completion to its HTTP client: a client that goes away before the answer is complete
 * aborts the generation, also when it leaves while the generation is still being started.
 */
export class ClientWatch {
  private running?: RunningCompletion;
  private gone = false;
  private done = false;

  /** `onClose` runs on every close (e.g. to stop a heartbeat), complete or not. */
  constructor(res: Response, onClose: () => void) {
    res.on('close', () => {
      onClose();
      if (this.done) return;
      this.gone = true;
      this.running?.abort();
    });
  }

  /** The client went away before the answer was complete. */
  get clientGone(): boolean {
    return this.gone;
  }

  /** The terminal event was handled: a close from now on is the normal end. */
  get finished(): boolean {
    return this.done;
  }

  finish(): void {
    this.done = true;
  }

  /** Watches the started generation; resolves false (having aborted it) when the client is already gone. */
  attach(running: RunningCompletion): boolean {
    this.running = running;
    if (this.gone) running.abort();
    return !this.gone;
  }
}

export function modelNotFound(model: string): OpenAIError {
  return new OpenAIError(
    404,
    `The model '${model}' does not exist or you do not have access to it.`,
    'invalid_request_error',
    'model_not_found',
    'model',
  );
}
