import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AppConfig, DatabaseService, Janitor } from '@agents/core';
import type { ChatMessage } from '@agents/providers';
import { ResponseEntity } from './response.entity';

/** An output item's id: its type's prefix, its response's key, and after the first item its place (see outputItemId). */
const ITEM_ID = /^(?:msg|ws|ig|mcp)_([^_]+)(?:_\d+)?$/;

/** The id of the response whose output item is `itemId` (`msg_<x>`, `mcp_<x>_2`, … → `resp_<x>`). */
export function responseIdOfItem(itemId: string): string | undefined {
  const key = ITEM_ID.exec(itemId)?.[1];
  return key === undefined ? undefined : `resp_${key}`;
}

/** Responses a walk along `previous_response_id` links reads at most; older ones are left out. */
export const MAX_CHAIN_RESPONSES = 1000;

@Injectable()
export class ResponsesRepository {
  constructor(
    private readonly db: DatabaseService,
    private readonly config: AppConfig,
  ) {}

  /** The user's own stored response within the retention; another user's (or an expired one) is as unknown as none. */
  findOwned(userId: string, id: string): Promise<ResponseEntity | null> {
    return this.db.manager
      .createQueryBuilder(ResponseEntity, 'r')
      .where('r.id = :id AND r.user_id = :userId', { id, userId })
      .andWhere('r.created_at > now() - make_interval(days => :days)', { days: this.config.responsesRetentionDays })
      .getOne();
  }

  /**
   * The conversation that the user's response `id` ends, oldest message first; null when `id` is
   * not theirs or has expired. One recursive query walks `previous_response_id` links back from
   * `id`, every step owner- and retention-checked, and stops at a row stored before chains (it
   * holds the whole conversation before it), after {@link MAX_CHAIN_RESPONSES} rows, or once the
   * rows read hold `maxChars` characters: older history would be cut from what a provider is sent
   * anyway. A link to a response that is gone ends the walk there.
   */
  async conversationEndingAt(userId: string, id: string, maxChars: number): Promise<ChatMessage[] | null> {
    const rows = await this.db.manager.query<{ messages: ChatMessage[] | null; conversation: ChatMessage[] | null }[]>(
      `WITH RECURSIVE chain AS (
         SELECT r.id, r.previous_response_id, r.conversation IS NOT NULL AS whole, r.chars AS total, 1 AS depth
           FROM responses r
          WHERE r.id = $1 AND r.user_id = $2 AND r.created_at > now() - make_interval(days => $3)
         UNION ALL
         SELECT p.id, p.previous_response_id, p.conversation IS NOT NULL, c.total + p.chars, c.depth + 1
           FROM chain c JOIN responses p ON p.id = c.previous_response_id
          WHERE NOT c.whole AND c.depth < $4 AND c.total < $5
            AND p.user_id = $2 AND p.created_at > now() - make_interval(days => $3)
       )
       SELECT r.messages, r.conversation FROM chain c JOIN responses r ON r.id = c.id ORDER BY c.depth DESC`,
      [id, userId, this.config.responsesRetentionDays, MAX_CHAIN_RESPONSES, maxChars],
    );
    if (rows.length === 0) return null;
    return rows.flatMap((r) => r.conversation ?? r.messages ?? []);
  }

  /**
   * The output items with the given ids of the user's stored responses within the retention, by
   * id; ids that are unknown, expired or another user's are missing from the map. A message item's
   * id carries its response's id (`msg_<x>` of `resp_<x>`), so most are found by primary key; items
   * of responses stored before that are looked for among the user's own responses.
   */
  async findOwnedOutputItems(userId: string, itemIds: string[]): Promise<Map<string, unknown>> {
    const found = new Map<string, unknown>();
    if (itemIds.length === 0) return found;
    const select = (byResponseId: boolean): string =>
      `SELECT item->>'id' AS id, item FROM responses r
         CROSS JOIN LATERAL jsonb_array_elements(r.body->'output') AS item
        WHERE r.user_id = $1 AND r.created_at > now() - make_interval(days => $2)
          AND item->>'id' = ANY($3::text[])${byResponseId ? ' AND r.id = ANY($4::text[])' : ''}`;
    const days = this.config.responsesRetentionDays;
    const responseIds = itemIds.map(responseIdOfItem).filter((id): id is string => id !== undefined);
    const direct = await this.db.manager.query<{ id: string; item: unknown }[]>(select(true), [
      userId,
      days,
      itemIds,
      responseIds,
    ]);
    for (const row of direct) found.set(row.id, row.item);
    const rest = itemIds.filter((id) => !found.has(id));
    if (rest.length > 0) {
      const older = await this.db.manager.query<{ id: string; item: unknown }[]>(select(false), [userId, days, rest]);
      for (const row of older) found.set(row.id, row.item);
    }
    return found;
  }

  async insert(response: ResponseEntity): Promise<void> {
    await this.db.manager.insert(ResponseEntity, response as QueryDeepPartialEntity<ResponseEntity>);
  }

  /** Deletes up to `limit` responses past the retention; resolves how many. */
  async purgeExpired(limit = 1000): Promise<number> {
    // A SELECT around the DELETE: TypeORM answers a bare DELETE … RETURNING with [rows, count].
    const [{ n }] = await this.db.manager.query<{ n: number }[]>(
      `WITH deleted AS (
         DELETE FROM responses WHERE id IN (
           SELECT id FROM responses WHERE created_at <= now() - make_interval(days => $1) LIMIT $2)
         RETURNING 1)
       SELECT count(*)::int AS n FROM deleted`,
      [this.config.responsesRetentionDays, limit],
    );
    return n;
  }
}

/** Every ten minutes, deletes stored responses past RESPONSES_RETENTION_DAYS. */
@Injectable()
export class ResponsesJanitor extends Janitor {
  constructor(private readonly responses: ResponsesRepository) {
    super('expired stored responses');
  }

  protected purgeBatch(): Promise<number> {
    return this.responses.purgeExpired();
  }
}
