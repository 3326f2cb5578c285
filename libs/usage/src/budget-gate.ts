import { Injectable } from '@nestjs/common';
import {
  AppConfig,
  DatabaseService,
  TooManyRequestsError,
  retryTransient,
  type BudgetPeriodsConfig,
} from '@agents/core';
import { periodBounds, resetOf, type PeriodBounds } from './budget-periods';
import { PriceTable } from './price-table';
import {
  UsageRepository,
  type BudgetPeriod,
  type BudgetSubject,
  type Spending,
  type StoredBudget,
} from './usage.repository';

const PERIODS: BudgetPeriod[] = ['daily', 'monthly'];

/** How long stored limits are reused before they are read again: an ADMIN's change applies within it. */
const LIMITS_TTL_MS = 5_000;

/** One period's limit of a subject, and where it comes from. */
export interface EffectiveLimit {
  period: BudgetPeriod;
  maxTokens: number | null;
  maxCost: number | null;
  source: 'config' | 'admin';
}

/** A subject's limit with what it used: what `GET /api/usage/budget` shows. */
export interface BudgetStatus extends EffectiveLimit {
  usedTokens: number;
  usedCost: number;
  reservedTokens: number;
  reservedCost: number;
  resetsAt: string;
}

/** A request about to call a provider, for the budgets of its user and its API key. */
export interface BudgetClaim {
  /** The generation's response id: its reservation and, later, its usage record. */
  id: string;
  userId: string;
  apiKeyId?: string | null;
  provider: string;
  model: string;
}

/** A request refused because a budget of its user or API key is used up (429, before any provider call). */
export class BudgetExceededError extends TooManyRequestsError {
  constructor(
    readonly subject: BudgetSubject['type'],
    readonly period: BudgetPeriod,
    readonly measure: 'tokens' | 'cost',
    readonly resetsAt: Date,
  ) {
    super(
      `${subject === 'user' ? 'Your' : "This API key's"} ${period} ${measure === 'tokens' ? 'token' : 'cost'} budget is used up; ` +
        `it resets at ${resetsAt.toISOString()}`,
      Math.max(1, Math.ceil((resetsAt.getTime() - Date.now()) / 1000)),
    );
  }
}

/**
 * Budgets (docs/http-api.md § Usage and budgets): per user and per API key, tokens and/or cost per
 * UTC day and month, the config file's defaults overridden by an ADMIN's per subject. A request
 * reserves `budgets.reserveTokens` (and their cost) under a per-subject lock while its
 * subjects have room, and its usage replaces the reservation when the worker records it. So
 * requests that run at once see each other: spending passes a limit by at most the last request
 * let in, plus whatever requests in flight use beyond their reservations.
 */
@Injectable()
export class BudgetGate {
  private readonly cached = new Map<string, { at: number; rows: StoredBudget[] }>();
  /** Whether any ADMIN limit exists at all, and when that was read: most deployments have none. */
  private anyStored: { at: number; value: boolean } | undefined;

  constructor(
    private readonly db: DatabaseService,
    private readonly usage: UsageRepository,
    private readonly prices: PriceTable,
    private readonly config: AppConfig,
  ) {}

  /**
   * Reserves room for the request in its user's and key's budgets, or throws
   * {@link BudgetExceededError}. Resolves whether a reservation was written (none when no limit applies).
   */
  async reserve(claim: BudgetClaim): Promise<boolean> {
    // No default limits and no ADMIN's: nothing to check, and no query on the start path.
    if (!this.config.budgets.users && !this.config.budgets.apiKeys && !(await this.anyStoredLimit())) return false;
    const subjects = subjectsOf(claim);
    const limited = (await Promise.all(subjects.map(async (s) => ({ s, limits: await this.limitsOf(s) })))).filter(
      ({ limits }) => limits.some((l) => l.maxTokens !== null || l.maxCost !== null),
    );
    if (limited.length === 0) return false;
    const now = new Date();
    const bounds = periodBounds(now);
    const tokens = this.config.budgets.reserveTokens;
    // Repeatable: a commit whose acknowledgement was lost left a reservation the retry leaves as is.
    await retryTransient(() =>
      this.db.transaction(async (m) => {
        for (const { s } of limited) await this.usage.lock(m, s);
        for (const { s, limits } of limited) {
          const spent = await this.usage.spending(m, s, bounds.dayStart, bounds.monthStart, claim.id);
          assertRoom(s, limits, spent, bounds);
        }
        await this.usage.reserve(m, {
          id: claim.id,
          userId: claim.userId,
          apiKeyId: claim.apiKeyId ?? null,
          tokens,
          cost: this.prices.reserveCost(claim.provider, claim.model, tokens),
          // Past the longest a generation may run (and a margin for its wait in the queue), a
          // reservation whose worker died stops counting.
          expiresAt: new Date(now.getTime() + 2 * this.config.tools.generationTimeoutMs + 60_000),
        });
      }),
    );
    return true;
  }

  /** Lets a reservation go (the request never started); best effort, as it expires anyway. */
  async release(id: string): Promise<void> {
    await this.usage.release(id).catch(() => undefined);
  }

  /** A subject's limits per period and what it used and holds against them now. */
  async status(subject: BudgetSubject): Promise<BudgetStatus[]> {
    const limits = await this.limitsOf(subject, true);
    const bounds = periodBounds(new Date());
    const spent = await this.usage.spending(this.db.manager, subject, bounds.dayStart, bounds.monthStart);
    return limits.map((limit) => ({
      ...limit,
      usedTokens: limit.period === 'daily' ? spent.dayTokens : spent.monthTokens,
      usedCost: limit.period === 'daily' ? spent.dayCost : spent.monthCost,
      reservedTokens: spent.reservedTokens,
      reservedCost: spent.reservedCost,
      resetsAt: resetOf(bounds, limit.period).toISOString(),
    }));
  }

  /** Sets or clears (undefined) an ADMIN's limit of one subject and period. */
  async set(
    subject: BudgetSubject,
    period: BudgetPeriod,
    limit: { maxTokens: number | null; maxCost: number | null } | undefined,
  ): Promise<void> {
    await this.usage.setBudget(subject, period, limit);
    this.cached.delete(keyOf(subject));
    this.anyStored = undefined;
  }

  private async anyStoredLimit(): Promise<boolean> {
    if (this.anyStored && Date.now() - this.anyStored.at < LIMITS_TTL_MS) return this.anyStored.value;
    const value = await retryTransient(() => this.usage.anyBudget());
    this.anyStored = { at: Date.now(), value };
    return value;
  }

  /** The limits in force for a subject per period: an ADMIN's where set, else the config file's. */
  private async limitsOf(subject: BudgetSubject, fresh = false): Promise<EffectiveLimit[]> {
    const defaults: BudgetPeriodsConfig | undefined =
      subject.type === 'user' ? this.config.budgets.users : this.config.budgets.apiKeys;
    const stored = await this.storedOf(subject, fresh);
    return PERIODS.map((period) => {
      const own = stored.find((row) => row.period === period);
      if (own) return { period, maxTokens: own.maxTokens, maxCost: own.maxCost, source: 'admin' };
      const fallback = defaults?.[period];
      return { period, maxTokens: fallback?.tokens ?? null, maxCost: fallback?.cost ?? null, source: 'config' };
    });
  }

  private async storedOf(subject: BudgetSubject, fresh: boolean): Promise<StoredBudget[]> {
    const key = keyOf(subject);
    const hit = this.cached.get(key);
    if (!fresh && hit && Date.now() - hit.at < LIMITS_TTL_MS) return hit.rows;
    const rows = await retryTransient(() => this.usage.budgetsOf([subject]));
    if (this.cached.size > 10_000) this.cached.clear();
    this.cached.set(key, { at: Date.now(), rows });
    return rows;
  }
}

function subjectsOf(claim: BudgetClaim): BudgetSubject[] {
  const subjects: BudgetSubject[] = [{ type: 'user', id: claim.userId }];
  if (claim.apiKeyId) subjects.push({ type: 'api_key', id: claim.apiKeyId });
  return subjects;
}

function keyOf(subject: BudgetSubject): string {
  return `${subject.type}:${subject.id}`;
}

/** Throws when any limit of the subject is reached by what it used plus what its running requests hold. */
function assertRoom(subject: BudgetSubject, limits: EffectiveLimit[], spent: Spending, bounds: PeriodBounds): void {
  for (const limit of limits) {
    const usedTokens = (limit.period === 'daily' ? spent.dayTokens : spent.monthTokens) + spent.reservedTokens;
    const usedCost = (limit.period === 'daily' ? spent.dayCost : spent.monthCost) + spent.reservedCost;
    if (limit.maxTokens !== null && usedTokens >= limit.maxTokens) {
      throw new BudgetExceededError(subject.type, limit.period, 'tokens', resetOf(bounds, limit.period));
    }
    if (limit.maxCost !== null && usedCost >= limit.maxCost) {
      throw new BudgetExceededError(subject.type, limit.period, 'cost', resetOf(bounds, limit.period));
    }
  }
}
