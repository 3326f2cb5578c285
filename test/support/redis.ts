import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

/** The Redis tests use; CI and developers have one on 127.0.0.1:6379. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix unique to this run, so parallel runs and other suites never see each other's keys. */
export function uniqueKeyPrefix(tag: string): string {
  return `test:${tag}:${Date.now().toString(36)}${randomUUID().slice(0, 8)}`;
}

/** Every key under `prefix`, by SCAN (never KEYS). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/**
 * Suites whose processes consume the `generation` queue get a Redis database of their own: the
 * queue name is the same everywhere, so two suites on one database (jest runs files in parallel)
 * would take each other's jobs. One line per suite keeps the numbers from colliding.
 */
export const SUITE_DATABASES = {
  chatDistributed: 8,
  chatFaults: 9,
  chatLeaks: 10,
  openaiCompatDistributed: 12,
  chatTools: 13,
  chatFiles: 14,
  usage: 11,
  chatProviders: 15,
  conversationsManage: 6,
  conversationsSearch: 7,
  conversationsRegenerate: 5,
} as const;

/** The Redis URL of a suite's own database (see SUITE_DATABASES). */
export type RedisSuite = keyof typeof SUITE_DATABASES;

export function suiteRedisUrl(suite: RedisSuite): string {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${SUITE_DATABASES[suite]}`;
  return url.toString();
}
