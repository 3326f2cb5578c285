import { Injectable } from '@nestjs/common';
import { DatabaseService, type KeysetPosition } from '@agents/core';
import type { ContentPart } from '../message.entity';
import { ConversationShareEntity } from './share.entity';

/** A share as its owner lists it: everything but the snapshot's messages. */
export type ShareSummary = Omit<ConversationShareEntity, 'messages'>;

/** A message of the thread a snapshot copies, with what the snapshot keeps of it. */
export interface ThreadMessage {
  id: string;
  parentMessageId: string | null;
  sender: string;
  isCreatedByUser: boolean;
  text: string;
  content: ContentPart[];
  createdAt: Date;
}

const SUMMARY_COLUMNS = [
  's.id',
  's.conversationId',
  's.userId',
  's.title',
  's.messageId',
  's.messageCount',
  's.createdAt',
  's.updatedAt',
] as const;

@Injectable()
export class SharesRepository {
  constructor(private readonly db: DatabaseService) {}

  /**
   * The thread from the root down to `messageId` (inclusive) inside one conversation, root first,
   * following parent links: at most `maxMessages` rows, the nearest to `messageId` (so a longer
   * thread is told by `maxMessages` rows coming back). Empty when the message is not in the
   * conversation.
   */
  async threadTo(conversationId: string, messageId: string, maxMessages: number): Promise<ThreadMessage[]> {
    const rows = await this.db.manager.query<
      {
        id: string;
        parent_message_id: string | null;
        sender: string;
        is_created_by_user: boolean;
        text: string;
        content: ContentPart[];
        created_at: Date;
      }[]
    >(
      `WITH RECURSIVE thread AS (
         SELECT id, parent_message_id, 1 AS depth FROM messages WHERE id = $1 AND conversation_id = $2
         UNION ALL
         SELECT p.id, p.parent_message_id, t.depth + 1 FROM messages p
           JOIN thread t ON p.id = t.parent_message_id
           WHERE p.conversation_id = $2 AND t.depth < $3
       )
       SELECT m.id, m.parent_message_id, m.sender, m.is_created_by_user, m.text, m.content, m.created_at
         FROM thread t JOIN messages m ON m.id = t.id
        ORDER BY t.depth DESC`,
      [messageId, conversationId, maxMessages],
    );
    return rows.map((r) => ({
      id: r.id,
      parentMessageId: r.parent_message_id,
      sender: r.sender,
      isCreatedByUser: r.is_created_by_user,
      text: r.text,
      content: r.content,
      createdAt: r.created_at,
    }));
  }

  /**
   * Stores a share unless its owner already holds `max` (then null). The owner's row is locked for
   * the count, so concurrent creations cannot pass the limit.
   */
  createWithinLimit(share: ConversationShareEntity, max: number): Promise<ShareSummary | null> {
    return this.db.transaction(async (m) => {
      await m.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [share.userId]);
      const [{ count }] = await m.query<[{ count: number }]>(
        'SELECT count(*)::int AS count FROM conversation_shares WHERE user_id = $1',
        [share.userId],
      );
      if (count >= max) return null;
      await m.insert(ConversationShareEntity, share);
      return summaryOf(share);
    });
  }

  /** The share, snapshot included, whoever owns it: what its public link shows. */
  findById(id: string): Promise<ConversationShareEntity | null> {
    return this.db.manager.findOneBy(ConversationShareEntity, { id });
  }

  /** The share when it belongs to `userId`, without its snapshot; null otherwise. */
  findOwned(userId: string, id: string): Promise<ShareSummary | null> {
    return this.db.manager
      .createQueryBuilder(ConversationShareEntity, 's')
      .select([...SUMMARY_COLUMNS])
      .where('s.id = :id AND s.user_id = :userId', { id, userId })
      .getOne();
  }

  /** The user's shares, newest first, keyset-paginated; `limit + 1` rows. */
  listOwned(userId: string, limit: number, after?: KeysetPosition): Promise<ShareSummary[]> {
    const qb = this.db.manager
      .createQueryBuilder(ConversationShareEntity, 's')
      .select([...SUMMARY_COLUMNS])
      .where('s.user_id = :userId', { userId })
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(s.created_at, s.id) < (:afterAt, :afterId)', { afterAt: after.at, afterId: after.id });
    return qb.getMany();
  }

  /** Changes the owner's share; false when there is no such share of theirs. */
  async update(
    userId: string,
    id: string,
    changes: Partial<Pick<ConversationShareEntity, 'title' | 'messageId' | 'messageCount' | 'messages' | 'updatedAt'>>,
  ): Promise<boolean> {
    const result = await this.db.manager.update(ConversationShareEntity, { id, userId }, changes);
    return (result.affected ?? 0) > 0;
  }

  /** Deletes the owner's share; false when there is no such share of theirs. */
  async deleteOwned(userId: string, id: string): Promise<boolean> {
    const result = await this.db.manager.delete(ConversationShareEntity, { id, userId });
    return (result.affected ?? 0) > 0;
  }
}

function summaryOf(share: ConversationShareEntity): ShareSummary {
  const { messages: _messages, ...summary } = share;
  return summary;
}
