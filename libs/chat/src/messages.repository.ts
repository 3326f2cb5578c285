import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, type KeysetPosition, UUID_PATTERN } from '@agents/core';
import type { ConversationEntity } from './conversation.entity';
import { MessageEntity, type ContentPart, type FeedbackRating, type FeedbackTag } from './message.entity';

/** Longest thread the history walk follows; deeper ancestors are not sent to the provider. */
export const MAX_THREAD_DEPTH = 1000;
/** The primary key of `messages`: violated when a client-chosen `messageId` is taken (by anyone). */
export const MESSAGE_ID_CONSTRAINT = 'messages_pkey';
/** The foreign key of `messages.conversation_id`: violated when the conversation was deleted meanwhile. */
export const MESSAGE_CONVERSATION_CONSTRAINT = 'messages_conversation_id_fkey';

/** A user's rating of an answer, as stored. */
export interface MessageFeedback {
  rating: FeedbackRating;
  tag: FeedbackTag | null;
  text: string | null;
  at: Date;
}

/** How many answers of one agent version got one rating with one reason (or none). */
export interface FeedbackCount {
  agentVersion: number | null;
  rating: FeedbackRating;
  tag: FeedbackTag | null;
  count: number;
}

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
   * Stores an answer unless a message with its id is already stored — for a write retried after
   * its connection was lost: the first attempt may have committed without our hearing of it — or
   * its conversation no longer exists (deleted while the answer was written: the answer must not
   * bring it back, nor fail). The conversation's row is share-locked for the rest of the caller's
   * transaction, so a deletion either ran before (nothing is inserted) or waits for it (and then
   * deletes the answer with the conversation). Resolves whether the conversation still exists.
   */
  async insertIfAbsent(m: EntityManager, message: MessageEntity): Promise<boolean> {
    const rows = await m.query<{ found: boolean }[]>(
      `WITH conversation AS (
         SELECT id FROM conversations WHERE id = $2::uuid FOR KEY SHARE
       ), inserted AS (
         INSERT INTO messages (id, conversation_id, parent_message_id, user_id, sender, is_created_by_user, text,
           content, attachments, files, unfinished, error, agent_id, model, prompt_tokens, completion_tokens,
           reasoning_tokens, cached_tokens, provider, agent_version, created_at)
         SELECT $1::uuid, conversation.id, $3::uuid, $4::uuid, $5::varchar, $6::boolean, $7::text, $8::jsonb,
           $9::jsonb, $10::jsonb, $11::boolean, $12::boolean, $13::varchar, $14::varchar, $15::integer, $16::integer,
           $17::integer, $18::integer, $19::varchar, $20::integer, $21::timestamptz
           FROM conversation
         ON CONFLICT (id) DO NOTHING
       )
       SELECT EXISTS (SELECT 1 FROM conversation) AS found`,
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
        message.reasoningTokens ?? null,
        message.cachedTokens ?? null,
        message.provider ?? null,
        message.agentVersion ?? null,
        message.createdAt,
      ],
    );
    return rows[0]?.found === true;
  }

  /** Inserts copies of messages (a fork), parents before their replies, in the caller's transaction. */
  async insertMany(m: EntityManager, messages: MessageEntity[]): Promise<void> {
    if (messages.length > 0) await m.insert(MessageEntity, messages);
  }

  findById(id: string, m: EntityManager = this.db.manager): Promise<MessageEntity | null> {
    return m.findOneBy(MessageEntity, { id });
  }

  /** The message `id` when it belongs to the conversation; null otherwise. */
  findInConversation(
    conversationId: string,
    id: string,
    m: EntityManager = this.db.manager,
  ): Promise<MessageEntity | null> {
    if (!UUID_PATTERN.test(id)) return Promise.resolve(null);
    return m.findOneBy(MessageEntity, { id, conversationId });
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
   * Up to `limit` messages of a conversation in the order they were written, oldest first (the
   * caller asks for one more than it accepts, to tell a conversation over its limit).
   */
  allOfConversation(conversationId: string, limit: number): Promise<MessageEntity[]> {
    return this.db.manager
      .createQueryBuilder(MessageEntity, 'msg')
      .where('msg.conversation_id = :conversationId', { conversationId })
      .orderBy('msg.created_at', 'ASC')
      .addOrderBy('msg.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Replaces an answer's text and content and marks it edited; resolves it as stored now. */
  async editText(id: string, text: string, content: ContentPart[]): Promise<MessageEntity | null> {
    await this.db.manager.update(MessageEntity, { id }, { text, content, edited: true });
    return this.findById(id);
  }

  /** Sets (or, with null, removes) the user's rating of an answer; resolves it as stored now. */
  async setFeedback(id: string, feedback: MessageFeedback | null): Promise<MessageEntity | null> {
    await this.db.manager.update(
      MessageEntity,
      { id },
      feedback === null
        ? { feedbackRating: null, feedbackTag: null, feedbackText: null, feedbackAt: null }
        : {
            feedbackRating: feedback.rating,
            feedbackTag: feedback.tag,
            feedbackText: feedback.text,
            feedbackAt: feedback.at,
          },
    );
    return this.findById(id);
  }

  /**
   * The ratings of an agent's answers, counted per agent version, rating and reason (the partial
   * index `messages_agent_feedback_idx` holds exactly the rated answers). No user appears in it.
   */
  feedbackCounts(agentId: string): Promise<FeedbackCount[]> {
    return this.db.manager.query<FeedbackCount[]>(
      `SELECT agent_version AS "agentVersion", feedback_rating AS rating, feedback_tag AS tag, count(*)::int AS count
         FROM messages
        WHERE agent_id = $1 AND feedback_rating IS NOT NULL
        GROUP BY agent_version, feedback_rating, feedback_tag
        ORDER BY agent_version NULLS FIRST, feedback_rating, feedback_tag NULLS FIRST`,
      [agentId],
    );
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
