import { RedisUnavailableError } from '@agents/streaming';

/**
 * How long a worker waits for Redis to come back before it gives up on one of a generation's event
 * or state writes. A short outage (a restart, a failover) then costs the generation a pause, not its
 * answer.
 */
export const REDIS_OUTAGE_GRACE_MS = 30_000;
const POLL_MS = 200;

/**
 * Runs `operation`; while it fails because Redis is known to be down — refused before anything was
 * sent, so running it again cannot apply it twice — runs it again once Redis is back, for up to
 * `graceMs`. Any other failure, and one past the grace, is thrown.
 */
export async function whenRedisAvailable<T>(operation: () => Promise<T>, graceMs = REDIS_OUTAGE_GRACE_MS): Promise<T> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    try {
      return await operation();
    } catch (err) {
      if (!(err instanceof RedisUnavailableError) || Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
