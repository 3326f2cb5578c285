import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { keysUnder, TEST_REDIS_URL, uniqueKeyPrefix } from '@agents/testing/redis';
import { type GenerationStateOptions } from './generation-state';
import { describeGenerationStateContract, newGeneration } from './generation-state.contract';
import { generationKeys, RedisGenerationState, userActiveKey } from './redis-generation-state';

const REDIS_URL = TEST_REDIS_URL;
const PREFIX = uniqueKeyPrefix('gen');

let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  const keys = await allKeys();
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

function allKeys(): Promise<string[]> {
  return keysUnder(admin, PREFIX);
}

const options = new Map<RedisGenerationState, GenerationStateOptions>();
function makeStore(storeOptions: GenerationStateOptions = {}): RedisGenerationState {
  const store = new RedisGenerationState({ ...storeOptions, url: REDIS_URL, keyPrefix: PREFIX });
  options.set(store, storeOptions);
  return store;
}

describeGenerationStateContract('RedisGenerationState', {
  make: makeStore,
  // Another process: its own connection, the same Redis.
  peer: (store) => makeStore(options.get(store as RedisGenerationState)),
});

describe('RedisGenerationState (Redis specifics)', () => {
  const stores: RedisGenerationState[] = [];
  const store = (storeOptions?: GenerationStateOptions) => {
    const made = makeStore(storeOptions);
    stores.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('gives every key a TTL, the stream keys the {streamId} hash tag, and the retention once finished', async () => {
    const states = store({ runningTtlMs: 60_000, retentionMs: 5_000 });
    const generation = newGeneration();
    await states.reserve(generation, { maxPerUser: 2 });
    await states.appendContent(generation.streamId, 'partial');
    const { state, content } = generationKeys(PREFIX, generation.streamId);
    const user = userActiveKey(PREFIX, generation.userId);
    const keys = (await allKeys()).filter(
      (key) => key.includes(generation.streamId) || key.includes(generation.userId),
    );
    expect(keys.sort()).toEqual([state, content, user].sort());
    for (const key of [state, content]) {
      expect(key).toContain(`{${generation.streamId}}`);
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    expect(user).toContain(`{${generation.userId}}`);
    // The user's set outlives the states it counts (its lease is 1.5× the running TTL).
    expect(await admin.pttl(user)).toBeGreaterThan(60_000);
    expect(await admin.pttl(user)).toBeLessThanOrEqual(90_000);
    expect(await admin.get(content)).toBe('partial');
    expect(await admin.hget(state, 'status')).toBe('running');

    await states.finish(generation.streamId, 'completed');
    for (const key of [state, content]) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    }
    // The last member left: the set is gone, not kept empty.
    expect(await admin.exists(user)).toBe(0);
  });

  it('does not let a member left by a crash between two steps hold the user slot', async () => {
    const states = store();
    const userId = `u-${randomUUID()}`;
    const user = userActiveKey(PREFIX, userId);
    const ghost = `c-${randomUUID()}`;
    // As if a process died after the stream's finish step and before leaving the user's set,
    // a while ago (older than the reserve grace).
    const old = Date.now() - 60_000;
    await admin.zadd(user, old + 90 * 60_000, ghost);
    await admin.pexpire(user, 60_000);
    expect(await states.activeFor(userId)).toEqual([]);
    const generation = newGeneration({ userId });
    await admin.zadd(user, old + 90 * 60_000, ghost);
    expect(await states.reserve(generation, { maxPerUser: 1 })).toBe('reserved');
    expect(await admin.zrange(user, 0, -1)).toEqual([generation.streamId]);
    // The same for a ghost of the very stream being reserved.
    await states.finish(generation.streamId, 'completed');
    await admin.zadd(user, old + 90 * 60_000, generation.streamId);
    expect(await states.reserve({ ...generation }, { maxPerUser: 1 })).toBe('reserved');
  });

  it('keeps a just-added member whose state is not there yet (a reserve between its two steps)', async () => {
    const states = store();
    const userId = `u-${randomUUID()}`;
    const user = userActiveKey(PREFIX, userId);
    const inFlight = `c-${randomUUID()}`;
    const t = await admin.time();
    const now = Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000);
    await admin.zadd(user, now + 90 * 60_000, inFlight);
    await admin.pexpire(user, 60_000);
    expect(await states.activeFor(userId)).toEqual([]);
    expect(await states.reserve(newGeneration({ userId }), { maxPerUser: 1 })).toBe('limit');
    expect(await admin.zscore(user, inFlight)).not.toBeNull();
  });
});
