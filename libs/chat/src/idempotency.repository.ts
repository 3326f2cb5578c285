import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, Janitor, retryTransient } from '@agents/core';

/** How long a key remembers its answer; an older key is as good as new. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;
/** A claim whose start neither completed nor released within this long (a crashed process) may be taken over. */
export const ABANDONED_CLAIM_SECONDS = 60;

/**
 * `claimed`: this request owns the key and must `complete` or `release` it. `existing`: another
 * request holds it; `response` is null while that one is still starting.
 */
export type IdempotencyClaim<T> = { state: 'claimed' } | { state: 'existing'; fingerprint: string; response: T | null };

/** The idempotency keys of chat starts, per user. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: DatabaseService) {}

  /**
   * Claims the key for a start about to happen, atomically: a new key, one past the window, or an
   * abandoned claim becomes this request's; otherwise the holder's fingerprint and answer are returned.
   */
  async claim<T>(userId: string, key: string, fingerprint: string): Promise<IdempotencyClaim<T>> {
    const claimed = await this.db.manager.query<unknown[]>(
      `INSERT INTO chat_idempotency_keys (user_id, key, fingerprint)
       VALUES ($1, $2, $3)
       ON CONFLICT (user_id, key) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, response = NULL, created_at = now()
         WHERE chat_idempotency_keys.created_at <= now() - make_interval(hours => $4)
            OR (chat_idempotency_keys.response IS NULL
                AND chat_idempotency_keys.created_at <= now() - make_interval(secs => $5))
       RETURNING key`,
      [userId, key, fingerprint, IDEMPOTENCY_WINDOW_HOURS, ABANDONED_CLAIM_SECONDS],
    );
    if (claimed.length === 1) return { state: 'claimed' };
    const rows = await this.db.manager.query<{ fingerprint: string; response: T | null }[]>(
      `SELECT fingerprint, response FROM chat_idempotency_keys WHERE user_id = $1 AND key = $2`,
      [userId, key],
    );
    // Deleted in between (a released claim): report it as in progress, the caller retries.
    return rows[0] ? { state: 'existing', ...rows[0] } : { state: 'existing', fingerprint, response: null };
  }

  /** Records the answer of a claimed key, inside the start's transaction. */
  async complete<T>(m: EntityManager, userId: string, key: string, response: T): Promise<void> {
    await m.query(`UPDATE chat_idempotency_keys SET response = $3 WHERE user_id = $1 AND key = $2`, [
      userId,
      key,
      JSON.stringify(response),
    ]);
  }

  /**
   * Gives up a claim whose start failed, so a retry with the key can start afresh. The start often
   * failed because the database connection was lost; the release is retried on a new one (it is
   * idempotent), or the client's retry would find the key busy until the claim is abandoned.
   */
  async release(userId: string, key: string): Promise<void> {
    // Up to ~6 s (waits of 50 ms doubling): a claim left behind holds the key for a minute.
    await retryTransient(
      () =>
        this.db.manager.query(
          `DELETE FROM chat_idempotency_keys WHERE user_id = $1 AND key = $2 AND response IS NULL`,
          [userId, key],
        ),
      { attempts: 8, what: 'Releasing an idempotency key' },
    );
  }

  /**
   * Forgets the keys whose start answered with one of the user's `conversationIds` (conversations
   * being deleted, in the caller's transaction): a retry with such a key then starts afresh.
   */
  async deleteForConversations(m: EntityManager, userId: string, conversationIds: readonly string[]): Promise<void> {
    if (conversationIds.length === 0) return;
    await m.query(
      `DELETE FROM chat_idempotency_keys WHERE user_id = $1 AND response ->> 'conversationId' = ANY($2::text[])`,
      [userId, [...conversationIds]],
    );
  }

  /** Drops up to `limit` keys past the window; resolves how many. */
  async purgeExpired(limit = 1000): Promise<number> {
    // A SELECT around the DELETE: TypeORM answers a bare DELETE … RETURNING with [rows, count].
    const [{ n }] = await this.db.manager.query<{ n: number }[]>(
      `WITH deleted AS (
         DELETE FROM chat_idempotency_keys WHERE ctid IN (
           SELECT ctid FROM chat_idempotency_keys
            WHERE created_at <= now() - make_interval(hours => $1) LIMIT $2)
         RETURNING 1)
       SELECT count(*)::int AS n FROM deleted`,
      [IDEMPOTENCY_WINDOW_HOURS, limit],
    );
    return n;
  }
}

/** Every ten minutes, drops idempotency keys past their window. */
@Injectable()
export class IdempotencyJanitor extends Janitor {
  constructor(private readonly keys: IdempotencyRepository) {
    super('expired idempotency keys');
  }

  protected purgeBatch(): Promise<number> {
    return this.keys.purgeExpired();
  }
}
