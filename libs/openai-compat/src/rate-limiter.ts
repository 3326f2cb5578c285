import {
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { RedisLink } from '@agents/streaming';
import type { AuthUser } from '@agents/auth';
import { AppConfig } from '@agents/core';
import { OpenAIError } from './openai-error';

export const OPENAI_RATE_LIMITER = Symbol('OPENAI_RATE_LIMITER');

/** The outcome of one request against its subject's window. */
export interface RateLimitHit {
  allowed: boolean;
  /** Seconds until the window resets (Retry-After). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one request of `subject` and says whether it fits in `limit` per `windowMs`. */
  hit(subject: string, limit: number, windowMs: number): Promise<RateLimitHit>;
  close(): Promise<void>;
}

/** One process: a fixed window per subject in a Map, swept as windows expire. */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  hit(subject: string, limit: number, windowMs: number): Promise<RateLimitHit> {
    const now = Date.now();
    if (this.windows.size > 10_000) {
      for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    }
    let window = this.windows.get(subject);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(subject, window);
    }
    window.count += 1;
    return Promise.resolve({
      allowed: window.count <= limit,
      retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
    });
  }

  close(): Promise<void> {
    this.windows.clear();
    return Promise.resolve();
  }
}

/** INCR and, for the first request of a window, PEXPIRE, in one atomic step; returns the count and the window's TTL. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

/** Every api instance shares one fixed window per subject in Redis, so the limit holds across instances. */
export class RedisRateLimiter implements RateLimiter {
  /** Like the event bus' connections: a request fails at once (503) while Redis is known to be down. */
  private readonly link: RedisLink;

  constructor(
    url: string,
    private readonly prefix = 'agents:openai-rate',
  ) {
    this.link = new RedisLink(url, 'agents-openai-rate', new Logger('RateLimiter'));
  }

  async hit(subject: string, limit: number, windowMs: number): Promise<RateLimitHit> {
    this.link.assertUp();
    const [count, ttl] = (await this.link.client.eval(
      HIT_SCRIPT,
      1,
      `${this.prefix}:${subject}`,
      String(windowMs),
    )) as [number, number];
    return { allowed: count <= limit, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

export function createRateLimiter(config: AppConfig): RateLimiter {
  return config.redisUrl ? new RedisRateLimiter(config.redisUrl) : new InMemoryRateLimiter();
}

@Injectable()
export class RateLimiterShutdown implements OnApplicationShutdown {
  constructor(@Inject(OPENAI_RATE_LIMITER) private readonly limiter: RateLimiter) {}

  async onApplicationShutdown(): Promise<void> {
    await this.limiter.close();
  }
}

const WINDOW_MS = 60_000;

/**
 * OPENAI_COMPAT_RATE_LIMIT requests per minute per API key (per user for a JWT), checked after the
 * global auth guard; over it → 429 `rate_limit_exceeded` with Retry-After.
 */
@Injectable()
export class OpenAIRateLimitGuard implements CanActivate {
  constructor(
    @Inject(OPENAI_RATE_LIMITER) private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!user) return true; // the auth guard has already refused anonymous callers
    const subject = user.apiKeyId ? `key:${user.apiKeyId}` : `user:${user.id}`;
    const hit = await this.limiter.hit(subject, this.config.openaiCompatRateLimit, WINDOW_MS);
    if (!hit.allowed) {
      throw new OpenAIError(
        429,
        `Rate limit reached: ${this.config.openaiCompatRateLimit} requests per minute; retry in ${hit.retryAfterSeconds} s.`,
        'requests',
        'rate_limit_exceeded',
        null,
        hit.retryAfterSeconds,
      );
    }
    return true;
  }
}
