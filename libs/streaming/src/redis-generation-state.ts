import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  assertMaxPerUser,
  DEFAULT_RUNNING_TTL_MS,
  DEFAULT_STATE_RETENTION_MS,
  type FinalGenerationStatus,
  type GenerationState,
  type GenerationStateOptions,
  type GenerationStateStore,
  type GenerationStatus,
  type NewGeneration,
  type ReserveOptions,
  type ReserveResult,
} from './generation-state';
import { RedisLink } from './redis-link';

/** Default prefix: keys are `agents:stream:{streamId}:…`, beside the event bus's, and `agents:user:{userId}:active`. */
export const DEFAULT_STATE_KEY_PREFIX = 'agents';

export interface GenerationKeys {
  /** Hash of the state's fields (all but the text), plus `leaseUntil`. */
  readonly state: string;
  /** String the text is APPENDed to: O(1) per token batch, where rewriting a hash field would be O(n). */
  readonly content: string;
}

/** The keys of one generation: the stream's hash tag `{streamId}`, one Cluster slot, one script. */
export function generationKeys(prefix: string, streamId: string): GenerationKeys {
  const base = `${prefix}:stream:{${streamId}}`;
  return { state: `${base}:state`, content: `${base}:content` };
}

/** Sorted set of the user's reserved streamIds, scored by lease deadline (ms); the user's hash tag. */
export function userActiveKey(prefix: string, userId: string): string {
  return `${prefix}:user:{${userId}}:active`;
}

export interface RedisGenerationStateOptions extends GenerationStateOptions {
  url: string;
  /** Prefix of every key (tests use a unique one). Default `agents`. */
  keyPrefix?: string;
  connectionName?: string;
}

/*
 * Why reserve is two scripts, not one. A generation's keys carry the stream's hash tag (so all of
 * a stream's keys share a Cluster slot); the user's active set carries the user's. In Redis Cluster
 * they live in different slots and no one script may touch both (CROSSSLOT). So:
 *
 *   1. ADMIT, on the user's slot, atomically: drop expired leases; `busy` if the user already holds
 *      this stream; `limit` at maxPerUser; else add the stream with a lease. This is the step
 *      concurrent reserves race on, so the limit is exact (20 at once with a limit of 2 → 2 pass),
 *      and a refused reserve has written nothing.
 *   2. CLAIM, on the stream's slot, atomically: `busy` if the stream is running (only possible for
 *      another user's reserve of the same id); else record the state as running. On `busy` the
 *      set member added in 1 is removed again (compensation; it was ours: 1 refuses a member that
 *      is already there).
 *
 * `finish` is the reverse: the stream's script ends the state (and reports its user), then the
 * member leaves the user's set. A process dying between two steps can leave a member whose state
 * is not running; `activeFor` never lists such members, and the `busy`/`limit` refusals re-check
 * the members' states and drop stale ones (older than a short grace, so a reserve between its two
 * steps is never mistaken for stale) before answering, so a crash cannot hold a user's slot.
 * Leases outlive the state's TTL (1.5×, refreshed before they get shorter than the TTL), so an
 * expired lease always means a state that expired too.
 */

/** KEYS: user set. ARGV: streamId, maxPerUser, lease (ms), user key TTL (ms). */
const ADMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 'busy' end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 'limit' end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[3])), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 'ok'
`;

/** KEYS: state, content. ARGV: running TTL (ms), lease (ms), then field/value pairs. */
const CLAIM_SCRIPT = `
if redis.call('HGET', KEYS[1], 'status') == 'running' then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'leaseUntil', string.format('%.0f', now + tonumber(ARGV[2])), unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], '', 'PX', ARGV[1])
return 1
`;

/**
 * KEYS: state, content. ARGV: text, updatedAt, running TTL (ms), lease (ms).
 * nil: not running. '': appended. A user id: appended, and that user's lease needs a refresh
 * (only when it got shorter than the TTL, so most batches cost one round trip).
 */
const APPEND_SCRIPT = `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return false end
redis.call('APPEND', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(redis.call('HGET', KEYS[1], 'leaseUntil') or '0')
if lease - now < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2], 'leaseUntil', string.format('%.0f', now + tonumber(ARGV[4])))
  return redis.call('HGET', KEYS[1], 'userId')
end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2])
return ''
`;

/** KEYS: user set. ARGV: streamId, lease (ms), user key TTL (ms). Extends a lease that is still held. */
const REFRESH_SCRIPT = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** KEYS: state, content. ARGV: status, updatedAt, retention (ms)[, error]. Resolves the user id, or nil when not running. */
const FINISH_SCRIPT = `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return false end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updatedAt', ARGV[2])
if ARGV[4] then redis.call('HSET', KEYS[1], 'error', ARGV[4]) else redis.call('HDEL', KEYS[1], 'error') end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], '') end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return redis.call('HGET', KEYS[1], 'userId')
`;

/** KEYS: state. Flags a running generation for abort (the claim's DEL clears it for the next one). */
const REQUEST_ABORT_SCRIPT = `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'abort', '1')
return 1
`;

/**
 * KEYS: user set. ARGV: lease (ms), grace (ms), streamIds found not running. Drops those whose
 * lease was last taken more than the grace ago. Resolves how many it dropped.
 */
const PRUNE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dropped = 0
for i = 3, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) - tonumber(ARGV[1]) < now - tonumber(ARGV[2]) then
    redis.call('ZREM', KEYS[1], ARGV[i])
    dropped = dropped + 1
  end
end
return dropped
`;

interface ScriptedRedis extends Redis {
  genAdmit(user: string, streamId: string, max: number, leaseMs: number, userTtlMs: number): Promise<string>;
  genClaim(state: string, content: string, ttlMs: number, leaseMs: number, ...fields: string[]): Promise<number>;
  genAppend(
    state: string,
    content: string,
    text: string,
    updatedAt: string,
    ttlMs: number,
    leaseMs: number,
  ): Promise<string | null>;
  genRefresh(user: string, streamId: string, leaseMs: number, userTtlMs: number): Promise<number>;
  genFinish(state: string, content: string, ...args: string[]): Promise<string | null>;
  genPrune(user: string, leaseMs: number, graceMs: number, ...streamIds: string[]): Promise<number>;
  genRequestAbort(state: string): Promise<number>;
}

/** How long a fresh set member counts as "being reserved" even though its state is not there yet. */
const MAX_RESERVE_GRACE_MS = 5_000;

/** The distributed mode's generation state; see the comment above for the key layout and atomicity. */
export class RedisGenerationState implements GenerationStateStore {
  private readonly logger = new Logger(RedisGenerationState.name);
  private readonly link: RedisLink<ScriptedRedis>;
  private readonly redis: ScriptedRedis;
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly runningTtlMs: number;
  /** A set member's lease: longer than the state's TTL, so it never lapses before the state does. */
  private readonly leaseMs: number;
  private readonly graceMs: number;

  constructor(options: RedisGenerationStateOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_STATE_KEY_PREFIX;
    this.retentionMs = options.retentionMs ?? DEFAULT_STATE_RETENTION_MS;
    this.runningTtlMs = options.runningTtlMs ?? DEFAULT_RUNNING_TTL_MS;
    this.leaseMs = Math.ceil(this.runningTtlMs * 1.5);
    this.graceMs = Math.min(MAX_RESERVE_GRACE_MS, Math.ceil(this.runningTtlMs / 2));
    this.link = new RedisLink<ScriptedRedis>(
      options.url,
      options.connectionName ?? 'agents-generation-state',
      this.logger,
    );
    this.redis = this.link.client;
    this.redis.defineCommand('genAdmit', { numberOfKeys: 1, lua: ADMIT_SCRIPT });
    this.redis.defineCommand('genClaim', { numberOfKeys: 2, lua: CLAIM_SCRIPT });
    this.redis.defineCommand('genAppend', { numberOfKeys: 2, lua: APPEND_SCRIPT });
    this.redis.defineCommand('genRefresh', { numberOfKeys: 1, lua: REFRESH_SCRIPT });
    this.redis.defineCommand('genFinish', { numberOfKeys: 2, lua: FINISH_SCRIPT });
    this.redis.defineCommand('genPrune', { numberOfKeys: 1, lua: PRUNE_SCRIPT });
    this.redis.defineCommand('genRequestAbort', { numberOfKeys: 1, lua: REQUEST_ABORT_SCRIPT });
  }

  async reserve(generation: NewGeneration, options: ReserveOptions): Promise<ReserveResult> {
    assertMaxPerUser(options);
    this.link.assertUp();
    const { streamId, userId } = generation;
    const user = userActiveKey(this.prefix, userId);
    let admitted = await this.admit(user, streamId, options.maxPerUser);
    // A refusal may rest on members a crashed process left behind: drop those, then ask once more.
    if (admitted !== 'ok' && (await this.prune(userId)) > 0) {
      admitted = await this.admit(user, streamId, options.maxPerUser);
    }
    if (admitted !== 'ok') return admitted === 'busy' ? 'busy' : 'limit';

    const now = new Date().toISOString();
    const fields: Record<string, string> = {
      streamId,
      conversationId: generation.conversationId,
      userId,
      agentId: generation.agentId,
      status: 'running',
      createdAt: generation.createdAt ?? now,
      updatedAt: now,
      responseMessageId: generation.responseMessageId,
      userMessageId: generation.userMessageId,
    };
    const keys = generationKeys(this.prefix, streamId);
    let claimed: number;
    try {
      claimed = await this.redis.genClaim(
        keys.state,
        keys.content,
        this.runningTtlMs,
        this.leaseMs,
        ...Object.entries(fields).flat(),
      );
    } catch (err) {
      await this.release(user, streamId);
      throw err;
    }
    if (claimed === 1) return 'reserved';
    await this.release(user, streamId);
    return 'busy';
  }

  async appendContent(streamId: string, text: string): Promise<boolean> {
    this.link.assertUp();
    const keys = generationKeys(this.prefix, streamId);
    const now = new Date().toISOString();
    const reply = await this.redis.genAppend(keys.state, keys.content, text, now, this.runningTtlMs, this.leaseMs);
    if (reply === null) return false;
    if (reply !== '') {
      await this.redis.genRefresh(userActiveKey(this.prefix, reply), streamId, this.leaseMs, this.leaseMs);
    }
    return true;
  }

  async finish(streamId: string, status: FinalGenerationStatus, error?: string): Promise<boolean> {
    this.link.assertUp();
    const keys = generationKeys(this.prefix, streamId);
    const args = [status, new Date().toISOString(), String(this.retentionMs)];
    if (error !== undefined) args.push(error);
    const userId = await this.redis.genFinish(keys.state, keys.content, ...args);
    if (userId === null) return false;
    await this.release(userActiveKey(this.prefix, userId), streamId);
    return true;
  }

  async requestAbort(streamId: string): Promise<boolean> {
    this.link.assertUp();
    return (await this.redis.genRequestAbort(generationKeys(this.prefix, streamId).state)) === 1;
  }

  async abortRequested(streamId: string): Promise<boolean> {
    this.link.assertUp();
    return (await this.redis.hget(generationKeys(this.prefix, streamId).state, 'abort')) === '1';
  }

  async get(streamId: string): Promise<GenerationState | null> {
    this.link.assertUp();
    const keys = generationKeys(this.prefix, streamId);
    const replies = await this.redis.multi().hgetall(keys.state).get(keys.content).exec();
    const [[stateError, hash], [contentError, content]] = replies ?? [];
    const failure = stateError ?? contentError;
    if (failure) throw failure;
    return toState(hash as Record<string, string>, (content as string | null) ?? '');
  }

  async activeFor(userId: string): Promise<string[]> {
    this.link.assertUp();
    return (await this.inspect(userId)).running;
  }

  /** Throws RedisUnavailableError while Redis is down, so callers fail fast with a 503. */
  assertAvailable(): void {
    this.link.assertUp();
  }

  async close(): Promise<void> {
    await this.link.close();
  }

  private admit(user: string, streamId: string, max: number): Promise<string> {
    return this.redis.genAdmit(user, streamId, max, this.leaseMs, this.leaseMs);
  }

  /** Removes a member from the user's set. A failure is logged: the member is then stale, and pruned later. */
  private async release(user: string, streamId: string): Promise<void> {
    try {
      await this.redis.zrem(user, streamId);
    } catch (err) {
      this.logger.warn(`Could not release ${streamId} from ${user}: ${String(err)}`);
    }
  }

  /** Drops the user's stale members. Resolves how many it dropped. */
  private async prune(userId: string): Promise<number> {
    return (await this.inspect(userId)).dropped;
  }

  /** Reads the states of the user's members: the running ones are listed, the rest pruned. */
  private async inspect(userId: string): Promise<{ running: string[]; dropped: number }> {
    const user = userActiveKey(this.prefix, userId);
    const members = await this.redis.zrange(user, 0, -1);
    if (members.length === 0) return { running: [], dropped: 0 };
    // Each HMGET goes to its stream's slot; a pipeline is one round trip on a single node.
    const pipeline = this.redis.pipeline();
    for (const streamId of members) pipeline.hmget(generationKeys(this.prefix, streamId).state, 'status', 'userId');
    const replies = (await pipeline.exec()) ?? [];
    const running: string[] = [];
    const stale: string[] = [];
    members.forEach((streamId, i) => {
      const [err, value] = replies[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      const [status, owner] = value as [string | null, string | null];
      if (status === 'running' && owner === userId) running.push(streamId);
      else stale.push(streamId);
    });
    const dropped = stale.length > 0 ? await this.redis.genPrune(user, this.leaseMs, this.graceMs, ...stale) : 0;
    return { running: running.sort(), dropped };
  }
}

const STATUSES: readonly GenerationStatus[] = ['running', 'completed', 'failed', 'aborted'];

function toState(hash: Record<string, string>, aggregatedContent: string): GenerationState | null {
  if (!hash.streamId || !STATUSES.includes(hash.status as GenerationStatus)) return null;
  const state: GenerationState = {
    streamId: hash.streamId,
    conversationId: hash.conversationId,
    userId: hash.userId,
    agentId: hash.agentId,
    status: hash.status as GenerationStatus,
    createdAt: hash.createdAt,
    updatedAt: hash.updatedAt,
    aggregatedContent,
    responseMessageId: hash.responseMessageId,
    userMessageId: hash.userMessageId,
  };
  return hash.error === undefined ? state : { ...state, error: hash.error };
}
