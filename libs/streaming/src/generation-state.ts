import { DEFAULT_OPEN_TTL_MS, DEFAULT_RETENTION_MS } from './event-bus';

/** Nest injection token of the process's one {@link GenerationStateStore}. */
export const GENERATION_STATE = Symbol('GENERATION_STATE');

export type GenerationStatus = 'running' | 'completed' | 'failed' | 'aborted';
/** How a generation may end. */
export type FinalGenerationStatus = Exclude<GenerationStatus, 'running'>;

/** The job state of one generation, what `status` and `active` (docs/http-api.md § Chat) read. */
export interface GenerationState {
  /** Equals the conversation id: one running generation per conversation. */
  readonly streamId: string;
  readonly conversationId: string;
  readonly userId: string;
  readonly agentId: string;
  readonly status: GenerationStatus;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601: the last reserve, append or finish. */
  readonly updatedAt: string;
  /** The answer's text so far. */
  readonly aggregatedContent: string;
  readonly responseMessageId: string;
  readonly userMessageId: string;
  /** Why a failed generation failed. */
  readonly error?: string;
}

/** What `reserve` records; the rest starts as running, empty, now. */
export type NewGeneration = Pick<
  GenerationState,
  'streamId' | 'conversationId' | 'userId' | 'agentId' | 'responseMessageId' | 'userMessageId'
> & { readonly createdAt?: string };

export interface ReserveOptions {
  /** Running generations a user may have at once; a reserve beyond it is refused with `limit`. */
  maxPerUser: number;
}

/**
 * `reserved`: recorded as running. `busy`: this stream (conversation) already has a running
 * generation (→ 409). `limit`: the user already has `maxPerUser` running generations (→ 429).
 * A refused reserve records nothing.
 */
export type ReserveResult = 'reserved' | 'busy' | 'limit';

export interface GenerationStateOptions {
  /** How long a finished generation's state stays readable. Default 10 minutes, like the event log. */
  retentionMs?: number;
  /**
   * Safety lifetime of a running generation's state, refreshed by updates, so the state of a
   * process that crashed mid-generation does not count against its user forever. Default 1 hour.
   */
  runningTtlMs?: number;
}

export const DEFAULT_STATE_RETENTION_MS = DEFAULT_RETENTION_MS;
export const DEFAULT_RUNNING_TTL_MS = DEFAULT_OPEN_TTL_MS;

/**
 * Where the job state of generations lives: a Redis hash per stream plus a per-user set of running
 * streams in the distributed mode, an in-process copy with the same semantics in the embedded one;
 * both pass `generation-state.contract.ts`.
 *
 * Lifecycle: `reserve` → `appendContent`* (and perhaps `requestAbort`) → `finish` → readable for the retention → gone. A new
 * `reserve` on the same stream after `finish` starts afresh (a new message in the conversation).
 */
export interface GenerationStateStore {
  /** Atomically checks the stream and the user's limit and, when both allow it, records the generation as running. */
  reserve(generation: NewGeneration, options: ReserveOptions): Promise<ReserveResult>;

  /**
   * Appends to the aggregated text and refreshes the running TTL; cheap, called per token batch.
   * Resolves false, changing nothing, when the generation is not running (finished, unknown, expired).
   */
  appendContent(streamId: string, text: string): Promise<boolean>;

  /**
   * Ends a running generation: sets its status (and error), frees the user's slot and starts the
   * retention. Resolves false, changing nothing, when it was not running.
   */
  finish(streamId: string, status: FinalGenerationStatus, error?: string): Promise<boolean>;

  /**
   * Records that the generation should stop, for whichever worker runs it now or picks it up later:
   * a control message reaches only a worker that already listens, this flag also one that has not
   * started yet. Resolves false, changing nothing, when the generation is not running.
   */
  requestAbort(streamId: string): Promise<boolean>;

  /** True once {@link requestAbort} was recorded for the running generation. */
  abortRequested(streamId: string): Promise<boolean>;

  /** The generation's state, or null when none is known (never reserved, or expired). */
  get(streamId: string): Promise<GenerationState | null>;

  /** The streamIds of the user's running generations, sorted. */
  activeFor(userId: string): Promise<string[]>;

  /** Throws a ServiceUnavailableError (503) while the backend is known to be unreachable (Redis down). */
  assertAvailable(): void;

  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** Refuses nonsense limits early: a limit below 1 would refuse every generation. */
export function assertMaxPerUser(options: ReserveOptions): void {
  if (!Number.isInteger(options.maxPerUser) || options.maxPerUser < 1) {
    throw new RangeError(`maxPerUser must be a positive integer, got ${options.maxPerUser}`);
  }
}
