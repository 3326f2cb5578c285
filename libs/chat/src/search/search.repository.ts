import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { DatabaseService } from '@agents/core';
import { ConversationEntity } from '../conversation.entity';
import { headline, tsquery } from './search-query';

/** A position in a ranked list: (rank DESC, time DESC, id DESC). */
export interface RankedPosition {
  rank: number;
  at: Date;
  id: string;
}

/** What a search's words allow: nothing to look for, a search the index serves, or one it cannot. */
export type SearchShape = 'empty' | 'indexable' | 'exclusions-only';

export interface MessageHit {
  id: string;
  conversationId: string;
  sender: string;
  isCreatedByUser: boolean;
  createdAt: Date;
  title: string;
  rank: number;
  snippet: string;
}

export interface ConversationHit {
  conversation: ConversationEntity;
  rank: number;
  messageId: string | null;
  snippet: string | null;
}

const afterClause = (rank: string, at: string, id: string, first: number): string =>
  `AND (${rank}, ${at}, ${id}) < ($${first}::real, $${first + 1}::timestamptz, $${first + 2}::uuid)`;

const afterParams = (after?: RankedPosition): unknown[] =>
  after ? [after.rank, after.at.toISOString(), after.id] : [];

/**
 * The caller's messages matching $2, best first: `ts_rank` over `messages.tsv`, ties newest first,
 * then by id; $1 the user, $3 the page size (limit + 1), $4–$6 the position after which the page
 * starts. Every match of the user is ranked (the GIN index on (user_id, tsv) finds them without
 * reading anyone else's), and only the page's rows are read in full for their headline.
 */
export function messageSearchSql(withAfter: boolean): string {
  const q = tsquery('$2');
  return `SELECT k.id, m.conversation_id, m.sender, m.is_created_by_user, m.created_at, c.title, k.rank,
       ${headline('m.text', q)} AS snippet
  FROM (
    SELECT m.id, m.created_at, ts_rank(m.tsv, ${q}) AS rank
      FROM messages m
     WHERE m.user_id = $1 AND m.tsv @@ ${q}
       ${withAfter ? afterClause(`ts_rank(m.tsv, ${q})`, 'm.created_at', 'm.id', 4) : ''}
     ORDER BY rank DESC, m.created_at DESC, m.id DESC
     LIMIT $3
  ) k
  JOIN messages m ON m.id = k.id
  JOIN conversations c ON c.id = m.conversation_id AND c.user_id = $1
 ORDER BY k.rank DESC, k.created_at DESC, k.id DESC`;
}

/**
 * The caller's conversations whose title or messages match $2, best first: a conversation scores
 * the better of its title's rank (lexemes weighted A: ten times a message's) and its best message's,
 * ties by latest activity, then id. Returns each page row's best message (newest among equals) and
 * its headline. $1 the user, $3 limit + 1, $4–$6 the position after which the page starts.
 */
export function conversationSearchSql(withAfter: boolean): string {
  const q = tsquery('$2');
  return `WITH best AS (
    SELECT DISTINCT ON (m.conversation_id) m.conversation_id, m.id AS message_id, ts_rank(m.tsv, ${q}) AS rank
      FROM messages m
     WHERE m.user_id = $1 AND m.tsv @@ ${q}
     ORDER BY m.conversation_id, rank DESC, m.created_at DESC, m.id DESC
  ), titled AS (
    SELECT c.id AS conversation_id, ts_rank(c.title_tsv, ${q}) AS rank
      FROM conversations c
     WHERE c.user_id = $1 AND c.title_tsv @@ ${q}
  ), scored AS (
    SELECT coalesce(b.conversation_id, t.conversation_id) AS conversation_id, b.message_id,
           greatest(b.rank, t.rank) AS rank
      FROM best b FULL JOIN titled t ON t.conversation_id = b.conversation_id
  ), page AS (
    SELECT s.conversation_id, s.message_id, s.rank, c.updated_at
      FROM scored s
      JOIN conversations c ON c.id = s.conversation_id AND c.user_id = $1
     WHERE true ${withAfter ? afterClause('s.rank', 'c.updated_at', 'c.id', 4) : ''}
     ORDER BY s.rank DESC, c.updated_at DESC, c.id DESC
     LIMIT $3
  )
  SELECT p.conversation_id, p.message_id, p.rank,
         CASE WHEN m.id IS NULL THEN NULL ELSE ${headline('m.text', q)} END AS snippet
    FROM page p
    LEFT JOIN messages m ON m.id = p.message_id
   ORDER BY p.rank DESC, p.updated_at DESC, p.conversation_id DESC`;
}

/** Full-text search over one user's own messages and conversations. Never reads anyone else's. */
@Injectable()
export class SearchRepository {
  constructor(private readonly db: DatabaseService) {}

  /** Whether `search` has words to look for, and whether one of them must be present (not only excluded ones). */
  async shapeOf(search: string): Promise<SearchShape> {
    const [row] = await this.db.manager.query<{ nodes: number; tree: string }[]>(
      `SELECT numnode(q) AS nodes, querytree(q) AS tree FROM (SELECT ${tsquery('$1')} AS q) x`,
      [search],
    );
    if (row.nodes === 0) return 'empty';
    return row.tree === 'T' ? 'exclusions-only' : 'indexable';
  }

  /** A page of the user's matching messages, best first; `limit + 1` rows. */
  async messages(userId: string, search: string, limit: number, after?: RankedPosition): Promise<MessageHit[]> {
    const rows = await this.db.manager.query<
      {
        id: string;
        conversation_id: string;
        sender: string;
        is_created_by_user: boolean;
        created_at: Date;
        title: string;
        rank: number;
        snippet: string;
      }[]
    >(messageSearchSql(after !== undefined), [userId, search, limit + 1, ...afterParams(after)]);
    return rows.map((r) => ({
      id: r.id,
      conversationId: r.conversation_id,
      sender: r.sender,
      isCreatedByUser: r.is_created_by_user,
      createdAt: r.created_at,
      title: r.title,
      rank: Number(r.rank),
      snippet: r.snippet,
    }));
  }

  /** A page of the user's conversations matching by title or messages, best first; `limit + 1` rows. */
  async conversations(
    userId: string,
    search: string,
    limit: number,
    after?: RankedPosition,
  ): Promise<ConversationHit[]> {
    const rows = await this.db.manager.query<
      { conversation_id: string; message_id: string | null; rank: number; snippet: string | null }[]
    >(conversationSearchSql(after !== undefined), [userId, search, limit + 1, ...afterParams(after)]);
    if (rows.length === 0) return [];
    // The conversations themselves through their entity, so a hit has every field the list shows.
    const entities = await this.db.manager.findBy(ConversationEntity, {
      id: In(rows.map((r) => r.conversation_id)),
      userId,
    });
    const byId = new Map(entities.map((c) => [c.id, c]));
    return rows.flatMap((r) => {
      const conversation = byId.get(r.conversation_id);
      return conversation ? [{ conversation, rank: Number(r.rank), messageId: r.message_id, snippet: r.snippet }] : [];
    });
  }
}
