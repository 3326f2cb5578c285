import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, type KeysetPosition, UUID_PATTERN } from '@agents/core';
import { ConversationEntity } from './conversation.entity';

/** What a user may change of a conversation. */
export type ConversationChanges = Partial<Pick<ConversationEntity, 'title' | 'isArchived'>>;

@Injectable()
export class ConversationsRepository {
  constructor(private readonly db: DatabaseService) {}

  async insert(m: EntityManager, conversation: ConversationEntity): Promise<void> {
    await m.insert(ConversationEntity, conversation);
  }

  /** The conversation when it exists and belongs to `userId`; null otherwise (never reveal others'). */
  findOwned(userId: string, id: string, m?: EntityManager): Promise<ConversationEntity | null> {
    if (!UUID_PATTERN.test(id)) return Promise.resolve(null);
    const tx = this.db.inTransaction(m);
    const qb = (tx ?? this.db.manager)
      .createQueryBuilder(ConversationEntity, 'c')
      .where('c.id = :id AND c.user_id = :userId', { id, userId });
    return tx ? qb.getOne() : this.db.getOnePrepared(qb);
  }

  /**
   * The user's archived or other conversations, newest activity first, keyset-paginated on
   * (updated_at, id): one ordered range of `conversations_user_archived_updated_idx`; `limit + 1` rows.
   */
  listOwned(userId: string, archived: boolean, limit: number, after?: KeysetPosition): Promise<ConversationEntity[]> {
    const qb = this.db.manager
      .createQueryBuilder(ConversationEntity, 'c')
      .where('c.user_id = :userId', { userId })
      .andWhere('c.is_archived = :archived', { archived })
      .orderBy('c.updated_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(c.updated_at, c.id) < (:afterAt, :afterId)', { afterAt: after.at, afterId: after.id });
    return qb.getMany();
  }

  /**
   * Applies `changes` to the user's conversation (its `updatedAt`, the time of its last message,
   * stays); resolves the conversation as it is now, or null when the user has no such conversation.
   */
  async updateOwned(userId: string, id: string, changes: ConversationChanges): Promise<ConversationEntity | null> {
    if (!UUID_PATTERN.test(id)) return null;
    const result = await this.db.manager.update(ConversationEntity, { id, userId }, changes);
    if (result.affected === 0) return null;
    return this.findOwned(userId, id);
  }

  /**
   * Gives the conversation `title` if its title is still `fallback` (the one it was created with):
   * a title the user chose meanwhile is never overwritten. `updatedAt` stays. Resolves whether it
   * changed.
   */
  async replaceFallbackTitle(id: string, fallback: string, title: string): Promise<boolean> {
    const result = await this.db.manager.update(ConversationEntity, { id, title: fallback }, { title });
    return (result.affected ?? 0) > 0;
  }

  /** Which of `ids` are conversations of the user. */
  async ownedAmong(userId: string, ids: readonly string[]): Promise<string[]> {
    const uuids = ids.filter((id) => UUID_PATTERN.test(id));
    if (uuids.length === 0) return [];
    const rows = await this.db.manager.query<{ id: string }[]>(
      `SELECT id FROM conversations WHERE user_id = $1 AND id = ANY($2::uuid[])`,
      [userId, uuids],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Deletes the user's conversation `id`, or all of the user's conversations when `id` is null; their
   * messages (and the messages' feedback) go with them (`ON DELETE CASCADE`). Resolves the ids deleted.
   */
  async deleteOwned(m: EntityManager, userId: string, id: string | null): Promise<string[]> {
    if (id !== null && !UUID_PATTERN.test(id)) return [];
    // A SELECT around the DELETE: TypeORM answers a bare DELETE … RETURNING with [rows, count].
    const rows = await m.query<{ id: string }[]>(
      `WITH deleted AS (
         DELETE FROM conversations WHERE user_id = $1 AND ($2::uuid IS NULL OR id = $2::uuid) RETURNING id)
       SELECT id FROM deleted`,
      [userId, id],
    );
    return rows.map((r) => r.id);
  }
}
