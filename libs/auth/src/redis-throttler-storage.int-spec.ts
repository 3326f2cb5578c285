import Redis from 'ioredis';
import { keysUnder, TEST_REDIS_URL, uniqueKeyPrefix } from '@agents/testing/redis';
import { freePort } from '@agents/testing/process';
import { RedisThrottlerStorage } from './redis-throttler-storage';

const PREFIX = uniqueKeyPrefix('throttler');

let admin: Redis;
const storages: RedisThrottlerStorage[] = [];
function storage(url = TEST_REDIS_URL): RedisThrottlerStorage {
  const s = new RedisThrottlerStorage(url, PREFIX);
  storages.push(s);
  return s;
}

beforeAll(() => {
  admin = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await Promise.all(storages.map((s) => s.onApplicationShutdown()));
  const keys = await keysUnder(admin, PREFIX);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

describe('RedisThrottlerStorage', () => {
  it('counts hits of one key across instances, then blocks for the block duration', async () => {
    const [a, b] = [storage(), storage()];
    const key = 'tracker-1';
    const first = await a.increment(key, 60_000, 3, 30_000, 'default');
    expect(first).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect((await b.increment(key, 60_000, 3, 30_000, 'default')).totalHits).toBe(2);
    expect((await a.increment(key, 60_000, 3, 30_000, 'default')).isBlocked).toBe(false);

    const over = await b.increment(key, 60_000, 3, 30_000, 'default');
    expect(over).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 30 });
    // Blocked: further hits are refused and not counted.
    expect(await a.increment(key, 60_000, 3, 30_000, 'default')).toMatchObject({ totalHits: 4, isBlocked: true });
  });

  it('keeps keys, throttlers and prefixes apart, and lets every key expire', async () => {
    const s = storage();
    await s.increment('tracker-2', 60_000, 1, 60_000, 'default');
    expect((await s.increment('tracker-3', 60_000, 1, 60_000, 'default')).totalHits).toBe(1);
    expect((await s.increment('tracker-2', 60_000, 1, 60_000, 'other')).totalHits).toBe(1);
    const elsewhere = new RedisThrottlerStorage(TEST_REDIS_URL, uniqueKeyPrefix('throttler-other'));
    storages.push(elsewhere);
    expect((await elsewhere.increment('tracker-2', 60_000, 1, 60_000, 'default')).totalHits).toBe(1);

    const keys = await keysUnder(admin, PREFIX);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(await admin.pttl(k)).toBeGreaterThan(0);
  });

  it('starts a new window once the old one has expired', async () => {
    const s = storage();
    await s.increment('tracker-4', 200, 1, 0, 'default');
    expect(await s.increment('tracker-4', 200, 1, 0, 'default')).toMatchObject({ totalHits: 2, isBlocked: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(await s.increment('tracker-4', 200, 1, 0, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('counts in memory while Redis is unreachable instead of failing', async () => {
    const s = storage(`redis://127.0.0.1:${await freePort()}`);
    const hits = [];
    for (let i = 0; i < 3; i++) hits.push(await s.increment('tracker-5', 60_000, 2, 60_000, 'default'));
    expect(hits.map((h) => h.isBlocked)).toEqual([false, false, true]);
  });
});
