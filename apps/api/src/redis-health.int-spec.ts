import 'reflect-metadata';
import { loadConfig } from '@agents/core';
import { freePort } from '@agents/testing/process';
import { TEST_REDIS_URL } from '@agents/testing/redis';
import { RedisHealth } from './redis-health';

function healthFor(redisUrl?: string): RedisHealth {
  return new RedisHealth(
    loadConfig({
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      JWT_SECRET: 'y'.repeat(40),
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    }),
  );
}

describe('RedisHealth', () => {
  it('is up against a reachable Redis', async () => {
    const health = healthFor(TEST_REDIS_URL);
    expect(await health.isUp()).toBe(true);
    await health.onApplicationShutdown();
  });

  it('is down, quickly and without throwing, when Redis is unreachable', async () => {
    const health = healthFor(`redis://127.0.0.1:${await freePort()}`);
    const t0 = Date.now();
    expect(await health.isUp()).toBe(false);
    expect(await health.isUp()).toBe(false); // a second probe reuses the connection and fails as fast
    expect(Date.now() - t0).toBeLessThan(3_500);
    await health.onApplicationShutdown();
  });

  it('counts as up, and is not consulted, without REDIS_URL', async () => {
    const health = healthFor();
    expect(health.configured).toBe(false);
    expect(await health.isUp()).toBe(true);
  });
});
