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
import type { Response as ExpressResponse } from 'express';
import { OpenAIError } from './openai-error';

export const OPENAI_RATE_LIMITER = Symbol('OPENAI_RATE_LIMITER');

/** The outcome of one request against its subject's window. */
export interface RateLimitHit {
  allowed: boolean;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
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
    return Promise.resolve(hitOf(window.count, limit, window.resetAt - now));
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
    const reply: unknown = await this.link.client.eval(HIT_SCRIPT, 1, `${this.prefix}:${subject}`, String(windowMs));
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw new Error(`unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
    }
    return hitOf(reply[0], limit, reply[1]);
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

function hitOf(count: number, limit: number, resetMs: number): RateLimitHit {
  return { allowed: count <= limit, remaining: Math.max(0, limit - count), resetMs: Math.max(1, resetMs) };
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
 * A duration as OpenAI writes `x-ratelimit-reset-*` (Go's notation): `20ms`, `1s`, `2.5s`, `6m0s`,
 * `1h0m0s`.
 */
export function resetDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = `${(whole % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}

/** OpenAI's request rate-limit headers, which clients and gateways read to pace themselves. */
export function rateLimitHeaders(limit: number, hit: RateLimitHit): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(limit),
    'x-ratelimit-remaining-requests': String(hit.remaining),
    'x-ratelimit-reset-requests': resetDuration(hit.resetMs),
  };
}

/**
 * OPENAI_COMPAT_RATE_LIMIT requests per minute per API key (per user for a JWT), checked after the
 * global auth guard. Every answer carries OpenAI's `x-ratelimit-*-requests` headers; over the
 * limit → 429 `rate_limit_exceeded` with Retry-After (seconds) and retry-after-ms, which OpenAI's
 * SDKs prefer.
 */
@Injectable()
export class OpenAIRateLimitGuard implements CanActivate {
  constructor(
    @Inject(OPENAI_RATE_LIMITER) private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const user = http.getRequest<{ user?: AuthUser }>().user;
    if (!user) return true; // the auth guard has already refused anonymous callers
    const subject = user.apiKeyId ? `key:${user.apiKeyId}` : `user:${user.id}`;
    const limit = this.config.openaiCompatRateLimit;
    const hit = await this.limiter.hit(subject, limit, WINDOW_MS);
    http.getResponse<ExpressResponse>().set(rateLimitHeaders(limit, hit));
    if (!hit.allowed) {
      const seconds = Math.ceil(hit.resetMs / 1000);
      throw new OpenAIError(
        429,
        `Rate limit reached: ${limit} requests per minute; retry in ${seconds} s.`,
        'requests',
        'rate_limit_exceeded',
        null,
        seconds,
        hit.resetMs,
      );
    }
    return true;
  }
}
