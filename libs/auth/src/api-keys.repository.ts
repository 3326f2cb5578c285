import { Injectable } from '@nestjs/common';
import { DatabaseService, type KeysetPosition, UUID_PATTERN } from '@agents/core';
import type { AuthUser } from './auth-user';
import { ApiKeyEntity } from './api-key.entity';
import type { UserRole } from './user.entity';

/** Which key a hash belongs to, and the owner it acts as. */
export interface ApiKeyOwner {
  keyId: string;
  keyHash: string;
  expiresAt: Date | null;
  user: AuthUser;
}

interface OwnerRow {
  key_id: string;
  key_hash: string;
  expires_at: Date | null;
  user_id: string;
  email: string;
  name: string;
  role: UserRole;
}

export type NewApiKeyRow = Pick<ApiKeyEntity, 'userId' | 'name' | 'keyHash' | 'keyPrefix' | 'expiresAt'>;

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: DatabaseService) {}

  /**
   * Stores a key unless its owner already holds `max` keys (then null). The owner's row is locked
   * for the count, so concurrent creations cannot exceed the limit; FOR NO KEY UPDATE does not
   * block the owner's other inserts that reference the row.
   */
  createWithinLimit(row: NewApiKeyRow, max: number): Promise<ApiKeyEntity | null> {
    return this.db.transaction(async (m) => {
      await m.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [row.userId]);
      const [{ count }] = await m.query<[{ count: number }]>(
        'SELECT count(*)::int AS count FROM api_keys WHERE user_id = $1',
        [row.userId],
      );
      if (count >= max) return null;
      return m.save(m.create(ApiKeyEntity, { ...row, createdAt: new Date(), lastUsedAt: null }));
    });
  }

  /** The user's keys, newest first, keyset-paginated; `limit + 1` rows. */
  listOwned(userId: string, limit: number, after?: KeysetPosition): Promise<ApiKeyEntity[]> {
    const qb = this.db.manager
      .createQueryBuilder(ApiKeyEntity, 'k')
      .where('k.user_id = :userId', { userId })
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(k.created_at, k.id) < (:afterAt, :afterId)', { afterAt: after.at, afterId: after.id });
    return qb.getMany();
  }

  /** Any key by id (its owner is `userId`); null when there is none. */
  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.db.manager.findOneBy(ApiKeyEntity, { id });
  }

  /** Deletes one of the user's keys; false when there is no such key of theirs (others' keys are not touched). */
  async deleteOwned(userId: string, id: string): Promise<boolean> {
    if (!UUID_PATTERN.test(id)) return false;
    const result = await this.db.manager.delete(ApiKeyEntity, { id, userId });
    return (result.affected ?? 0) > 0;
  }

  /** The key with this hash and its owner, in one indexed query; null for an unknown (or deleted) key. */
  async findOwnerByHash(keyHash: string): Promise<ApiKeyOwner | null> {
    const rows = await this.db.manager.query<OwnerRow[]>(
      `SELECT k.id AS key_id, k.key_hash, k.expires_at, u.id AS user_id, u.email, u.name, u.role
         FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.key_hash = $1`,
      [keyHash],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      keyId: row.key_id,
      keyHash: row.key_hash,
      expiresAt: row.expires_at,
      user: { id: row.user_id, email: row.email, name: row.name, role: row.role },
    };
  }

  /**
   * Sets last_used_at unless it was set less than a minute before `at` (by this process or any
   * other). True when the row was written.
   */
  async recordUse(id: string, at: Date): Promise<boolean> {
    const [, affected] = await this.db.manager.query<[unknown[], number]>(
      `UPDATE api_keys SET last_used_at = $2
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '60 seconds')`,
      [id, at],
    );
    return affected > 0;
  }
}
