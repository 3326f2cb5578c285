import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, type KeysetPosition } from '@agents/core';
import { MessageEntity } from './message.entity';

/** Longest thread the history walk follows; deeper ancestors are not sent to the provider. */
export const MAX_THREAD_DEPTH = 1000;
/** The primary key of `messages`: violated when a client-chosen `messageId` is taken (by anyone). */
export const MESSAGE_ID_CONSTRAINT = 'messages_pkey';

@Injectable()
export class MessagesRepository {
  constructor(private readonly db: DatabaseService) {}

  async insert(m: EntityManager, message: MessageEntity): Promise<void> {
    await m.insert(MessageEntity, message);
  }

  /**
   * Inserts the message unless a message with its id is already stored. For a write retried after
   * its connection was lost: the first attempt may have committed without our hearing of it.
   */
  async insertIfAbsent(m: EntityManager, message: MessageEntity): Promise<void> {
    // The id is the table's only unique key, so the one conflict possible is "already stored".
    await m.createQueryBuilder().insert().into(MessageEntity).values(message).orIgnore().execute();
  }

  findById(id: string, m: EntityManager = this.db.manager): Promise<MessageEntity | null> {
    return m.findOneBy(MessageEntity, { id });
  }

  /** The most recent message of a conversation: where a new message goes when no parent is named. */
  latestIn(conversationId: string, m: EntityManager = this.db.manager): Promise<MessageEntity | null> {
    return m.findOne(MessageEntity, { where: { conversationId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /**
   * A page of a conversation's messages in the order they were written, oldest first: keyset on
   * (created_at, id), after the position of the previous page's last row; `limit + 1` rows.
   */
  pageOfConversation(conversationId: string, limit: number, after?: KeysetPosition): Promise<MessageEntity[]> {
    const qb = this.db.manager
      .createQueryBuilder(MessageEntity, 'msg')
      .where('msg.conversation_id = :conversationId', { conversationId })
      .orderBy('msg.created_at', 'ASC')
      .addOrderBy('msg.id', 'ASC')
      .limit(limit + 1);
    if (after) {
      qb.andWhere('(msg.created_at, msg.id) > (:afterAt, :afterId)', { afterAt: after.at, afterId: after.id });
    }
    return qb.getMany();
  }

  /**
   * The thread from the root down to `messageId` (inclusive), following parent links inside one
   * conversation — the history a provider sees when a reply is written under that message.
   */
  async threadTo(
    conversationId: string,
    messageId: string,
    m: EntityManager = this.db.manager,
  ): Promise<MessageEntity[]> {
    const rows = await m.query<{ id: string }[]>(
      `WITH RECURSIVE thread AS (
         SELECT id, parent_message_id, 1 AS depth FROM messages WHERE id = $1 AND conversation_id = $2
         UNION ALL
         SELECT p.id, p.parent_message_id, t.depth + 1 FROM messages p
           JOIN thread t ON p.id = t.parent_message_id
           WHERE p.conversation_id = $2 AND t.depth < $3
       )
       SELECT id FROM thread ORDER BY depth DESC`,
      [messageId, conversationId, MAX_THREAD_DEPTH],
    );
    if (rows.length === 0) return [];
    const byId = new Map(
      (
        await m
          .createQueryBuilder(MessageEntity, 'msg')
          .where('msg.id = ANY(:ids)', { ids: rows.map((r) => r.id) })
          .getMany()
      ).map((msg) => [msg.id, msg]),
    );
    return rows.map((r) => byId.get(r.id)).filter((msg): msg is MessageEntity => msg !== undefined);
  }
}
