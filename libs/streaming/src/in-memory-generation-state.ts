import {
  assertMaxPerUser,
  DEFAULT_RUNNING_TTL_MS,
  DEFAULT_STATE_RETENTION_MS,
  type FinalGenerationStatus,
  type GenerationState,
  type GenerationStateOptions,
  type GenerationStateStore,
  type NewGeneration,
  type ReserveOptions,
  type ReserveResult,
} from './generation-state';

interface Entry {
  state: GenerationState;
  /** Removes the state when its TTL passes, like Redis key expiry. */
  expiry: NodeJS.Timeout;
  /** An abort was requested while it ran. */
  abort?: true;
}

/**
 * The embedded mode's generation state: the same reserve, limit, TTL and retention semantics as
 * the Redis store, kept in this process. Every operation is one synchronous step, so reserve is
 * atomic without locks.
 */
export class InMemoryGenerationState implements GenerationStateStore {
  private readonly entries = new Map<string, Entry>();
  /** userId → streamIds reserved by the user; members whose state is not running are stale. */
  private readonly active = new Map<string, Set<string>>();
  private readonly retentionMs: number;
  private readonly runningTtlMs: number;

  constructor(options: GenerationStateOptions = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_STATE_RETENTION_MS;
    this.runningTtlMs = options.runningTtlMs ?? DEFAULT_RUNNING_TTL_MS;
  }

  reserve(generation: NewGeneration, options: ReserveOptions): Promise<ReserveResult> {
    return settle(() => {
      assertMaxPerUser(options);
      if (this.entries.get(generation.streamId)?.state.status === 'running') return 'busy';
      if (this.running(generation.userId).length >= options.maxPerUser) return 'limit';
      const now = new Date().toISOString();
      const createdAt = generation.createdAt ?? now;
      this.put(
        { ...pick(generation), createdAt, updatedAt: now, status: 'running', aggregatedContent: '' },
        this.runningTtlMs,
        true,
      );
      let members = this.active.get(generation.userId);
      if (!members) this.active.set(generation.userId, (members = new Set()));
      members.add(generation.streamId);
      return 'reserved';
    });
  }

  appendContent(streamId: string, text: string): Promise<boolean> {
    return settle(() => {
      const state = this.entries.get(streamId)?.state;
      if (state?.status !== 'running') return false;
      const aggregatedContent = state.aggregatedContent + text;
      this.put({ ...state, aggregatedContent, updatedAt: new Date().toISOString() });
      return true;
    });
  }

  finish(streamId: string, status: FinalGenerationStatus, error?: string): Promise<boolean> {
    return settle(() => {
      const state = this.entries.get(streamId)?.state;
      if (state?.status !== 'running') return false;
      const { error: _previous, ...rest } = state;
      const next: GenerationState = { ...rest, status, updatedAt: new Date().toISOString() };
      this.put(error === undefined ? next : { ...next, error }, this.retentionMs);
      this.active.get(state.userId)?.delete(streamId);
      return true;
    });
  }

  requestAbort(streamId: string): Promise<boolean> {
    const entry = this.entries.get(streamId);
    if (entry?.state.status !== 'running') return Promise.resolve(false);
    entry.abort = true;
    return Promise.resolve(true);
  }

  abortRequested(streamId: string): Promise<boolean> {
    return Promise.resolve(this.entries.get(streamId)?.abort === true);
  }

  get(streamId: string): Promise<GenerationState | null> {
    const state = this.entries.get(streamId)?.state;
    return Promise.resolve(state ? { ...state } : null);
  }

  activeFor(userId: string): Promise<string[]> {
    return Promise.resolve(this.running(userId).sort());
  }

  /** The in-process store is always there. */
  assertAvailable(): void {
    // nothing can be down
  }

  close(): Promise<void> {
    for (const entry of this.entries.values()) clearTimeout(entry.expiry);
    this.entries.clear();
    this.active.clear();
    return Promise.resolve();
  }

  /** The user's running streams; drops stale members (finished elsewhere, or expired). */
  private running(userId: string): string[] {
    const members = this.active.get(userId);
    if (!members) return [];
    for (const streamId of members) {
      if (this.entries.get(streamId)?.state.status !== 'running') members.delete(streamId);
    }
    if (members.size === 0) this.active.delete(userId);
    return [...members];
  }

  /**
   * Stores the state with a fresh TTL (the running one unless given). A running state keeps its
   * abort request; a new reservation (`fresh`) starts without one.
   */
  private put(state: GenerationState, ttlMs = this.runningTtlMs, fresh = false): void {
    const previous = this.entries.get(state.streamId);
    if (previous) clearTimeout(previous.expiry);
    const expiry = setTimeout(() => {
      if (this.entries.get(state.streamId)?.expiry === expiry) this.entries.delete(state.streamId);
    }, ttlMs);
    expiry.unref();
    const abort = !fresh && previous?.abort ? { abort: true as const } : {};
    this.entries.set(state.streamId, { state, expiry, ...abort });
  }
}

/** Only the recorded fields, so a caller's extra properties never leak into the state. */
function pick(generation: NewGeneration): Omit<NewGeneration, 'createdAt'> {
  const { streamId, conversationId, userId, agentId, responseMessageId, userMessageId } = generation;
  return { streamId, conversationId, userId, agentId, responseMessageId, userMessageId };
}

function settle<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
