import { Logger } from '@nestjs/common';
import { isConnectionLost } from '../errors/database-errors';

export interface RetryTransientOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** The wait before the second attempt; it doubles for each further one. */
  baseDelayMs?: number;
  /** Names the work in the log line of a retry. */
  what?: string;
}

const logger = new Logger('Database');

/**
 * Runs `work` again when it failed because its database connection was lost (a terminated
 * backend, a reset socket — see isConnectionLost), a few times with a short backoff; any other
 * failure, or the last one, is thrown as is. The pool replaces a lost connection, so the next
 * attempt usually succeeds.
 *
 * Only for work that is safe to repeat: a read, or a transaction whose writes are idempotent (a
 * commit whose acknowledgement was lost may have applied them already).
 */
export async function retryTransient<T>(work: () => Promise<T>, options: RetryTransientOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 50;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isConnectionLost(err)) throw err;
      const delay = baseDelayMs * 2 ** (attempt - 1);
      logger.warn(
        `${options.what ?? 'A database call'} lost its connection (${err instanceof Error ? err.message : String(err)}); ` +
          `retrying in ${delay} ms (attempt ${attempt + 1} of ${attempts})`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
