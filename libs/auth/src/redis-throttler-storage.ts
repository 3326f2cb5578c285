import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { RedisLink } from '@agents/streaming';
import type { AppConfig } from '@agents/core';

/**
 * One hit, atomically. KEYS[1] counts the window's hits, KEYS[2] exists while the tracker is blocked.
 * ARGV: window ms, limit, block ms. Returns {hits, window ms left, blocked (0|1), block ms left}.
 * While blocked nothing is counted; the first hit over the limit starts a block of `block ms`
 * (none when it is 0: then only the hits over the limit are refused, like the in-memory storage).
 */
const INCREMENT_SCRIPT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return {hits, math.max(redis.call('PTTL', KEYS[1]), 0), 1, blockLeft}
end
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if block > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', block)
    return {hits, ttl, 1, block}
  end
  return {hits, ttl, 1, ttl}
end
return {hits, ttl, 0, 0}`;

/** What a storage answers for one hit (the package does not export the record's type by name). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * @nestjs/throttler's storage over Redis, so every api instance counts the same window per client:
 * a fixed window of `ttl` per key, then a block of `blockDuration` once the limit is passed.
 *
 * While Redis is unreachable the counts fall back to this process' memory rather than refusing
 * every login with a 503: the limit then holds per instance (looser, never absent), and tokens
 * already issued keep the rest of the API usable. Redis comes back on its own (see RedisLink).
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  /**
   * Opened on the first hit: the worker imports this module too (through the ACL) and never
   * serves a login, so it should not hold a connection for nothing.
   */
  private connection?: RedisLink;
  private readonly fallback = new ThrottlerStorageService();
  private readonly logger = new Logger('AuthRateLimit');
  private fallingBack = false;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
  ) {}

  private get link(): RedisLink {
    this.connection ??= new RedisLink(this.url, 'agents-auth-rate', this.logger);
    return this.connection;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.link.isDown) {
      this.fallingBackBecause('Redis is unreachable');
    } else {
      try {
        // The hash tag keeps both keys of one tracker in one Redis Cluster slot (a script needs that).
        const base = `${this.prefix}:${throttlerName}:{${key}}`;
        const [hits, ttlLeft, blocked, blockLeft] = (await this.link.client.eval(
          INCREMENT_SCRIPT,
          2,
          `${base}:hits`,
          `${base}:block`,
          String(ttl),
          String(limit),
          String(blockDuration),
        )) as [number, number, number, number];
        this.recovered();
        return {
          totalHits: hits,
          timeToExpire: seconds(ttlLeft),
          isBlocked: blocked === 1,
          timeToBlockExpire: seconds(blockLeft),
        };
      } catch (err) {
        this.fallingBackBecause(err instanceof Error ? err.message : String(err));
      }
    }
    return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Logged once per outage, not on every request. */
  private fallingBackBecause(reason: string): void {
    if (this.fallingBack) return;
    this.fallingBack = true;
    this.logger.warn(`Auth rate limit counts are kept per process until Redis answers again (${reason})`);
  }

  private recovered(): void {
    if (!this.fallingBack) return;
    this.fallingBack = false;
    this.logger.log('Auth rate limit counts are shared through Redis again');
  }

  async onApplicationShutdown(): Promise<void> {
    this.fallback.onApplicationShutdown();
    await this.connection?.close();
  }
}

/** Shared counts through Redis in the distributed mode; the library's in-memory storage otherwise. */
export function createAuthThrottlerStorage(config: AppConfig): ThrottlerStorage & OnApplicationShutdown {
  return config.redisUrl
    ? new RedisThrottlerStorage(config.redisUrl, config.authRateLimitKeyPrefix)
    : new ThrottlerStorageService();
}
