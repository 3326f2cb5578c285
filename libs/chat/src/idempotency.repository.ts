import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService } from '@agents/core';

/** How long a key remembers its answer; an older key is as good as new. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;

export interface IdempotentStart<T> {
  fingerprint: string;
  response: T;
}

/** The idempotency keys of chat starts, per user. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: DatabaseService) {}

  /** The answer recorded for this key within the window, if any. */
  async find<T>(userId: string, key: string, m: EntityManager = this.db.manager): Promise<IdempotentStart<T> | null> {
    const rows = await m.query<{ fingerprint: string; response: T }[]>(
      `SELECT fingerprint, response FROM chat_idempotency_keys
        WHERE user_id = $1 AND key = $2 AND created_at > now() - make_interval(hours => $3)`,
      [userId, key, IDEMPOTENCY_WINDOW_HOURS],
    );
    return rows[0] ?? null;
  }

  /**
   * Records the key with its answer inside the start's transaction. Resolves false, recording
   * nothing, when a live row already holds the key (a concurrent retry won); an expired row is replaced.
   */
  async claim<T>(m: EntityManager, userId: string, key: string, start: IdempotentStart<T>): Promise<boolean> {
    const rows = await m.query<unknown[]>(
      `INSERT INTO chat_idempotency_keys (user_id, key, fingerprint, response)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, key) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, response = EXCLUDED.response, created_at = now()
         WHERE chat_idempotency_keys.created_at <= now() - make_interval(hours => $5)
       RETURNING key`,
      [userId, key, start.fingerprint, JSON.stringify(start.response), IDEMPOTENCY_WINDOW_HOURS],
    );
    return rows.length === 1;
  }

  /** Drops keys past the window; called now and then so the table stays small. */
  async purgeExpired(limit = 1000): Promise<number> {
    const rows = await this.db.manager.query<unknown[]>(
      `DELETE FROM chat_idempotency_keys WHERE ctid IN (
         SELECT ctid FROM chat_idempotency_keys
          WHERE created_at <= now() - make_interval(hours => $1) LIMIT $2)
       RETURNING 1`,
      [IDEMPOTENCY_WINDOW_HOURS, limit],
    );
    return rows.length;
  }
}

const PURGE_EVERY_MS = 10 * 60_000;

/** Every ten minutes, drops idempotency keys past their window (in batches, so no run is long). */
@Injectable()
export class IdempotencyJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private timer?: NodeJS.Timeout;

  constructor(private readonly keys: IdempotencyRepository) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.purge(), PURGE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async purge(): Promise<void> {
    try {
      while ((await this.keys.purgeExpired()) > 0);
    } catch (err) {
      this.logger.warn(`Could not purge expired idempotency keys: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
