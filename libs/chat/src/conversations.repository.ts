import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, type KeysetPosition, UUID_PATTERN } from '@agents/core';
import { ConversationEntity } from './conversation.entity';

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

  /** The user's conversations, newest activity first, keyset-paginated; `limit + 1` rows. */
  listOwned(userId: string, limit: number, after?: KeysetPosition): Promise<ConversationEntity[]> {
    const qb = this.db.manager
      .createQueryBuilder(ConversationEntity, 'c')
      .where('c.user_id = :userId', { userId })
      .orderBy('c.updated_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(c.updated_at, c.id) < (:afterAt, :afterId)', { afterAt: after.at, afterId: after.id });
    return qb.getMany();
  }
}
