import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, cteStatement, type CteWrites } from '@agents/core';
import type { UsageCounts } from './usage-counts';

/** One generation's usage, as the worker records it. */
export interface UsageEntry {
  /** The generation's response id: recording the same one twice counts it once. */
  id: string;
  userId: string;
  apiKeyId: string | null;
  agentId: string;
  agentVersion: number;
  provider: string;
  model: string;
  usage: UsageCounts;
  /** US dollars, or null when the model has no price. */
  cost: number | null;
  at: Date;
}

/** The dimensions usage can be grouped by, and the columns of usage_daily each one reads. */
export const USAGE_GROUPS = {
  day: ['day'],
  user: ['user_id'],
  apiKey: ['api_key_id'],
  agent: ['agent_id'],
  agentVersion: ['agent_id', 'agent_version'],
  model: ['provider', 'model'],
} as const satisfies Record<string, readonly string[]>;
export type UsageGroup = keyof typeof USAGE_GROUPS;

/** Which rows of usage_daily to aggregate: a UTC day range (inclusive) and optional owners. */
export interface UsageFilter {
  from: string;
  to: string;
  userId?: string;
  agentId?: string;
  apiKeyId?: string;
}

/** Summed counts, as the database returns them (bigint and numeric sums come back as text). */
export interface UsageSums {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  cost: number;
  unpricedRequests: number;
}

export type UsageRow = UsageSums & {
  day?: string;
  userId?: string;
  apiKeyId?: string | null;
  agentId?: string;
  agentVersion?: number;
  provider?: string;
  model?: string;
};

/** A subject budgets apply to: a user (all their requests) or one API key. */
export type BudgetSubject = { type: 'user'; id: string } | { type: 'api_key'; id: string };
export type BudgetPeriod = 'daily' | 'monthly';

/** A stored limit of one subject and period; both null means "no limit" (overriding the default). */
export interface StoredBudget {
  subjectType: BudgetSubject['type'];
  subjectId: string;
  period: BudgetPeriod;
  maxTokens: number | null;
  maxCost: number | null;
}

/** Tokens (input + output) and cost used since the start of the day and of the month, plus what running requests hold. */
export interface Spending {
  dayTokens: number;
  dayCost: number;
  monthTokens: number;
  monthCost: number;
  reservedTokens: number;
  reservedCost: number;
}

const SUMS = `SUM(requests)::bigint AS requests, SUM(input_tokens)::bigint AS input_tokens,
  SUM(output_tokens)::bigint AS output_tokens, SUM(reasoning_tokens)::bigint AS reasoning_tokens,
  SUM(cached_tokens)::bigint AS cached_tokens, SUM(cache_write_tokens)::bigint AS cache_write_tokens,
  SUM(cost) AS cost, SUM(unpriced_requests)::bigint AS unpriced_requests`;

/** Namespace of the per-subject advisory locks that serialise budget reservations. */
const BUDGET_LOCK_NAMESPACE = 7_240_301;

/** Every query on the usage tables (docs/http-api.md § Usage and budgets). */
@Injectable()
export class UsageRepository {
  constructor(private readonly db: DatabaseService) {}

  /**
   * Records one generation's usage, rolls it into its day, and releases its budget reservation, in
   * one statement: a retry after a commit that went unheard finds the record and adds nothing.
   */
  async record(entry: UsageEntry, m: EntityManager = this.db.manager): Promise<void> {
    const { sql, params } = cteStatement(this.recordWrites(entry));
    await m.query(sql, params);
  }

  /**
   * {@link record} as writes another statement carries (the answer's, in the worker): the
   * reservation released, the record inserted unless already there, its day rolled up.
   */
  recordWrites(entry: UsageEntry): CteWrites {
    const u = entry.usage;
    return (first) => {
      const $ = (i: number): string => `$${first + i}`;
      return {
        ctes: `usage_released AS (DELETE FROM usage_reservations WHERE id = ${$(0)}),
       usage_rec AS (
         INSERT INTO usage_records (id, user_id, api_key_id, agent_id, agent_version, provider, model,
           input_tokens, output_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost, created_at)
         VALUES (${[...Array(14).keys()].map($).join(', ')})
         ON CONFLICT (id) DO NOTHING
         RETURNING *
       ),
       usage_rollup AS (
         INSERT INTO usage_daily AS d (day, user_id, api_key_id, agent_id, agent_version, provider, model, requests,
           input_tokens, output_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost, unpriced_requests)
         SELECT (created_at AT TIME ZONE 'UTC')::date, user_id, api_key_id, agent_id, agent_version, provider, model, 1,
           input_tokens, output_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, COALESCE(cost, 0),
           CASE WHEN cost IS NULL THEN 1 ELSE 0 END
         FROM usage_rec
         ON CONFLICT (user_id, day, agent_id, agent_version, provider, model, api_key_id) DO UPDATE SET
           requests = d.requests + 1,
           input_tokens = d.input_tokens + EXCLUDED.input_tokens,
           output_tokens = d.output_tokens + EXCLUDED.output_tokens,
           reasoning_tokens = d.reasoning_tokens + EXCLUDED.reasoning_tokens,
           cached_tokens = d.cached_tokens + EXCLUDED.cached_tokens,
           cache_write_tokens = d.cache_write_tokens + EXCLUDED.cache_write_tokens,
           cost = d.cost + EXCLUDED.cost,
           unpriced_requests = d.unpriced_requests + EXCLUDED.unpriced_requests
       )`,
        params: [
          entry.id,
          entry.userId,
          entry.apiKeyId,
          entry.agentId,
          entry.agentVersion,
          entry.provider,
          entry.model,
          u.inputTokens,
          u.outputTokens,
          u.reasoningTokens,
          u.cachedTokens,
          u.cacheWriteTokens,
          entry.cost,
          entry.at,
        ],
      };
    };
  }

  /** {@link release} as writes another statement carries. */
  releaseWrites(id: string): CteWrites {
    return (first) => ({
      ctes: `usage_released AS (DELETE FROM usage_reservations WHERE id = $${first})`,
      params: [id],
    });
  }

  /** Lets a reservation go without recording usage (the request never reached a provider). */
  async release(id: string, m: EntityManager = this.db.manager): Promise<void> {
    await m.query(`DELETE FROM usage_reservations WHERE id = $1`, [id]);
  }

  /**
   * Usage summed per group over the filter's days, ordered by the group's columns (days oldest
   * first); at most `limit` rows.
   */
  async aggregate(filter: UsageFilter, groups: UsageGroup[], limit: number): Promise<UsageRow[]> {
    const columns = [...new Set(groups.flatMap((g) => USAGE_GROUPS[g]))];
    const { where, params } = whereOf(filter);
    const select = columns.length > 0 ? `${columns.join(', ')}, ` : '';
    const groupBy = columns.length > 0 ? `GROUP BY ${columns.join(', ')} ORDER BY ${columns.join(', ')}` : '';
    const rows = await this.db.manager.query<Record<string, unknown>[]>(
      `SELECT ${select}${SUMS} FROM usage_daily WHERE ${where} ${groupBy} LIMIT ${Number(limit)}`,
      params,
    );
    return rows.filter((row) => row.requests !== null).map(rowOf);
  }

  /** The stored limits of these subjects (an ADMIN's, overriding the config file's defaults). */
  async budgetsOf(subjects: BudgetSubject[]): Promise<StoredBudget[]> {
    if (subjects.length === 0) return [];
    const rows = await this.db.manager.query<Record<string, unknown>[]>(
      `SELECT subject_type, subject_id, period, max_tokens, max_cost FROM usage_budgets
       WHERE (subject_type, subject_id) IN (SELECT * FROM unnest($1::varchar[], $2::uuid[]))`,
      [subjects.map((s) => s.type), subjects.map((s) => s.id)],
    );
    return rows.map((row) => ({
      subjectType: row.subject_type as BudgetSubject['type'],
      subjectId: String(row.subject_id),
      period: row.period as BudgetPeriod,
      maxTokens: row.max_tokens === null ? null : Number(row.max_tokens),
      maxCost: row.max_cost === null ? null : Number(row.max_cost),
    }));
  }

  /** Whether an ADMIN set any limit, for anyone. */
  async anyBudget(): Promise<boolean> {
    const rows = await this.db.manager.query<{ any: boolean }[]>(`SELECT EXISTS (SELECT 1 FROM usage_budgets) AS any`);
    return rows[0]?.any === true;
  }

  /** Sets (or, with `limit` undefined, removes) a subject's limit for one period. */
  async setBudget(
    subject: BudgetSubject,
    period: BudgetPeriod,
    limit: { maxTokens: number | null; maxCost: number | null } | undefined,
    m: EntityManager = this.db.manager,
  ): Promise<void> {
    if (limit === undefined) {
      await m.query(`DELETE FROM usage_budgets WHERE subject_type = $1 AND subject_id = $2 AND period = $3`, [
        subject.type,
        subject.id,
        period,
      ]);
      return;
    }
    await m.query(
      `INSERT INTO usage_budgets (subject_type, subject_id, period, max_tokens, max_cost, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (subject_type, subject_id, period)
       DO UPDATE SET max_tokens = EXCLUDED.max_tokens, max_cost = EXCLUDED.max_cost, updated_at = now()`,
      [subject.type, subject.id, period, limit.maxTokens, limit.maxCost],
    );
  }

  /**
   * Serialises the budget checks of a subject until `m`'s transaction ends: two requests cannot
   * both take the last of a budget.
   */
  async lock(m: EntityManager, subject: BudgetSubject): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [
      BUDGET_LOCK_NAMESPACE,
      `${subject.type}:${subject.id}`,
    ]);
  }

  /**
   * What a subject used this day and month (UTC) and what its running requests hold, but for the
   * reservation `exceptId` (a request checking again after a commit it did not hear).
   */
  async spending(
    m: EntityManager,
    subject: BudgetSubject,
    dayStart: string,
    monthStart: string,
    exceptId: string | null = null,
  ): Promise<Spending> {
    const column = subject.type === 'user' ? 'user_id' : 'api_key_id';
    // One round trip: the budget check holds its subject's lock meanwhile.
    const [row] = await m.query<Record<string, string>[]>(
      `SELECT used.*, held.*
       FROM (SELECT COALESCE(SUM(input_tokens + output_tokens) FILTER (WHERE day >= $2), 0)::text AS day_tokens,
               COALESCE(SUM(cost) FILTER (WHERE day >= $2), 0)::text AS day_cost,
               COALESCE(SUM(input_tokens + output_tokens), 0)::text AS month_tokens,
               COALESCE(SUM(cost), 0)::text AS month_cost
             FROM usage_daily WHERE ${column} = $1 AND day >= $3) used,
            (SELECT COALESCE(SUM(tokens), 0)::text AS reserved_tokens, COALESCE(SUM(cost), 0)::text AS reserved_cost
             FROM usage_reservations
             WHERE ${column} = $1 AND expires_at > now() AND id IS DISTINCT FROM $4) held`,
      [subject.id, dayStart, monthStart, exceptId],
    );
    return {
      dayTokens: Number(row.day_tokens),
      dayCost: Number(row.day_cost),
      monthTokens: Number(row.month_tokens),
      monthCost: Number(row.month_cost),
      reservedTokens: Number(row.reserved_tokens),
      reservedCost: Number(row.reserved_cost),
    };
  }

  /** Holds tokens and cost for a running request until its usage is recorded or `expiresAt` passes. */
  async reserve(
    m: EntityManager,
    reservation: { id: string; userId: string; apiKeyId: string | null; tokens: number; cost: number; expiresAt: Date },
  ): Promise<void> {
    // Reservations whose request died without recording are dropped here, by the next one of their user.
    await m.query(`DELETE FROM usage_reservations WHERE user_id = $1 AND expires_at <= now()`, [reservation.userId]);
    await m.query(
      `INSERT INTO usage_reservations (id, user_id, api_key_id, tokens, cost, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [
        reservation.id,
        reservation.userId,
        reservation.apiKeyId,
        reservation.tokens,
        reservation.cost,
        reservation.expiresAt,
      ],
    );
  }
}

function whereOf(filter: UsageFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [filter.from, filter.to];
  const clauses = ['day >= $1', 'day <= $2'];
  const add = (column: string, value: string | undefined): void => {
    if (value === undefined) return;
    params.push(value);
    clauses.push(`${column} = $${params.length}`);
  };
  add('user_id', filter.userId);
  add('agent_id', filter.agentId);
  add('api_key_id', filter.apiKeyId);
  return { where: clauses.join(' AND '), params };
}

function rowOf(raw: Record<string, unknown>): UsageRow {
  const row: UsageRow = {
    requests: Number(raw.requests),
    inputTokens: Number(raw.input_tokens),
    outputTokens: Number(raw.output_tokens),
    reasoningTokens: Number(raw.reasoning_tokens),
    cachedTokens: Number(raw.cached_tokens),
    cacheWriteTokens: Number(raw.cache_write_tokens),
    cost: Number(raw.cost),
    unpricedRequests: Number(raw.unpriced_requests),
  };
  if ('day' in raw) row.day = dayOf(raw.day);
  if ('user_id' in raw) row.userId = String(raw.user_id);
  if ('api_key_id' in raw) row.apiKeyId = typeof raw.api_key_id === 'string' ? raw.api_key_id : null;
  if ('agent_id' in raw) row.agentId = String(raw.agent_id);
  if ('agent_version' in raw) row.agentVersion = Number(raw.agent_version);
  if ('provider' in raw) row.provider = String(raw.provider);
  if ('model' in raw) row.model = String(raw.model);
  return row;
}

/** A `date` column as YYYY-MM-DD, whether the driver hands back a string or a Date. */
function dayOf(value: unknown): string {
  if (value instanceof Date) {
    // node-postgres builds a date at local midnight: read it back in local time.
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
  }
  return String(value).slice(0, 10);
}
