import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, type CteWrites, type KeysetPosition, UUID_PATTERN } from '@agents/core';
import { ConversationEntity } from './conversation.entity';
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
    const sql = `WITH new_conversation AS (
         INSERT INTO conversations (id, user_id, agent_id, title, created_at, updated_at)
         SELECT $2, $4, $13, $18, $17, $17 WHERE $19::boolean
       ), touched AS (
         UPDATE conversations SET updated_at = $17 WHERE id = $2 AND NOT $19::boolean
       )
       INSERT INTO messages (id, conversation_id, parent_message_id, user_id, sender, is_created_by_user, text,
         content, attachments, files, unfinished, error, agent_id, model, prompt_tokens, completion_tokens, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;
    const params = [
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
    ];
    // Outside a transaction (a plain turn) a prepared statement: it runs for every message.
    const tx = this.db.inTransaction(m);
    if (tx) await tx.query(sql, params);
    else await this.db.executePrepared(sql, params);
  }

  /**
   * Stores a generation's answer and marks its conversation active, with `also` (other modules'
   * writes, e.g. the usage record) in the same statement: one round trip, atomic without a
   * transaction. Idempotent, for a write retried after its connection was lost: an answer already
   * stored is kept as it is. Stores nothing when the conversation is gone (deleted while the answer
   * streamed). Resolves the conversation as it now is, or null when it is gone.
   */
  async storeAnswer(message: MessageEntity, also?: CteWrites): Promise<ConversationEntity | null> {
    const columns = ANSWER_COLUMNS.map(([column]) => column);
    const values: unknown[] = ANSWER_COLUMNS.map(([, value]) => value(message));
    const extra = also?.(values.length + 1);
    const rows = await this.db.executePrepared<ConversationRow>(
      `WITH conv AS (
         UPDATE conversations SET updated_at = $${columns.indexOf('created_at') + 1}
         WHERE id = $${columns.indexOf('conversation_id') + 1}
         RETURNING id, user_id, agent_id, title, is_archived, created_at, updated_at
       ), answer AS (
         INSERT INTO messages (${columns.join(', ')})
         SELECT ${columns.map((_, i) => `$${i + 1}`).join(', ')} FROM conv
         ON CONFLICT (id) DO NOTHING
       )${extra ? `, ${extra.ctes}` : ''}
       SELECT * FROM conv`,
      [...values, ...(extra?.params ?? [])],
    );
    return rows.length === 0 ? null : conversationFromRow(rows[0]);
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
  threadTo(conversationId: string, messageId: string, m?: EntityManager): Promise<MessageEntity[]> {
    const tx = this.db.inTransaction(m);
    const qb = (tx ?? this.db.manager)
      .createQueryBuilder(MessageEntity, 'msg')
      .addCommonTableExpression(
        `SELECT id, parent_message_id, 1 AS depth FROM messages WHERE id = :messageId AND conversation_id = :conversationId
         UNION ALL
         SELECT p.id, p.parent_message_id, t.depth + 1 FROM messages p
           JOIN thread t ON p.id = t.parent_message_id
           WHERE p.conversation_id = :conversationId AND t.depth < :maxDepth`,
        'thread',
        { recursive: true },
      )
      .innerJoin('thread', 't', 't.id = msg.id')
      .orderBy('t.depth', 'DESC')
      .setParameters({ messageId, conversationId, maxDepth: MAX_THREAD_DEPTH });
    return tx ? qb.getMany() : this.db.getManyPrepared(qb);
  }
}

/** The columns of a stored answer and where each value comes from. */
const ANSWER_COLUMNS: [string, (m: MessageEntity) => unknown][] = [
  ['id', (m) => m.id],
  ['conversation_id', (m) => m.conversationId],
  ['parent_message_id', (m) => m.parentMessageId],
  ['user_id', (m) => m.userId],
  ['sender', (m) => m.sender],
  ['is_created_by_user', (m) => m.isCreatedByUser],
  ['text', (m) => m.text],
  ['content', (m) => JSON.stringify(m.content)],
  ['attachments', (m) => JSON.stringify(m.attachments ?? [])],
  ['files', (m) => JSON.stringify(m.files ?? [])],
  ['unfinished', (m) => m.unfinished],
  ['error', (m) => m.error],
  ['agent_id', (m) => m.agentId],
  ['model', (m) => m.model],
  ['prompt_tokens', (m) => m.promptTokens],
  ['completion_tokens', (m) => m.completionTokens],
  ['reasoning_tokens', (m) => m.reasoningTokens ?? null],
  ['cached_tokens', (m) => m.cachedTokens ?? null],
  ['provider', (m) => m.provider ?? null],
  ['agent_version', (m) => m.agentVersion ?? null],
  ['created_at', (m) => m.createdAt],
];

interface ConversationRow {
  id: string;
  user_id: string;
  agent_id: string;
  title: string;
  is_archived: boolean;
  created_at: Date;
  updated_at: Date;
}

function conversationFromRow(row: ConversationRow): ConversationEntity {
  return Object.assign(new ConversationEntity(), {
    id: row.id,
    userId: row.user_id,
    agentId: row.agent_id,
    title: row.title,
    isArchived: row.is_archived,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
