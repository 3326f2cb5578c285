import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, type KeysetPosition } from '@agents/core';
import type { ConversationEntity } from './conversation.entity';
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
   * Stores the user's message of a new turn and, in the same statement, creates its conversation
   * (the message's user's, with its agent, when `newConversation` is given) or marks the existing
   * one active: one round trip, atomic without a transaction of its own. A taken message id fails
   * the whole statement (unique violation), so no conversation is left without its message.
   */
  async insertTurn(
    m: EntityManager,
    message: MessageEntity,
    newConversation: Pick<ConversationEntity, 'title'> | null,
  ): Promise<void> {
    await m.query(
      `WITH new_conversation AS (
         INSERT INTO conversations (id, user_id, agent_id, title, created_at, updated_at)
         SELECT $2, $4, $13, $18, $17, $17 WHERE $19::boolean
       ), touched AS (
         UPDATE conversations SET updated_at = $17 WHERE id = $2 AND NOT $19::boolean
       )
       INSERT INTO messages (id, conversation_id, parent_message_id, user_id, sender, is_created_by_user, text,
         content, attachments, files, unfinished, error, agent_id, model, prompt_tokens, completion_tokens, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        message.id,
        message.conversationId,
        message.parentMessageId,
        message.userId,
        message.sender,
        message.isCreatedByUser,
        message.text,
        JSON.stringify(message.content),
        JSON.stringify(message.attachments ?? []),
        JSON.stringify(message.files ?? []),
        message.unfinished,
        message.error,
        message.agentId,
        message.model,
        message.promptTokens,
        message.completionTokens,
        message.createdAt,
        newConversation?.title ?? null,
        newConversation !== null,
      ],
    );
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
