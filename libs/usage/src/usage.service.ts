import { Injectable } from '@nestjs/common';
import { ForbiddenError, NotFoundError, ValidationFailedError } from '@agents/core';
import { ApiKeysRepository, UsersRepository, type AuthUser } from '@agents/auth';
import { BudgetGate } from './budget-gate';
import { isoDay } from './budget-periods';
import type { BudgetsDto } from './dto/usage-report.dto';
import type { UsageReportDto, UsageSumsDto } from './dto/usage-report.dto';
import type { BudgetQueryDto, UsagePeriodQueryDto, UsageQueryDto } from './dto/usage-query.dto';
import type { SetBudgetDto } from './dto/set-budget.dto';
import {
  UsageRepository,
  type BudgetPeriod,
  type BudgetSubject,
  type UsageFilter,
  type UsageGroup,
  type UsageSums,
} from './usage.repository';

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

/** The groups an agent's editors may sum its usage by: never by who used it. */
const AGENT_GROUPS: UsageGroup[] = ['day', 'agent', 'agentVersion', 'model'];

/** Usage reports and budgets over HTTP, with who may read and set what. */
@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly budgets: BudgetGate,
    private readonly users: UsersRepository,
    private readonly keys: ApiKeysRepository,
  ) {}

  /** The caller's usage; an ADMIN's query may name anyone, or no one (everyone's). */
  async report(user: AuthUser, query: UsageQueryDto): Promise<UsageReportDto> {
    const admin = user.role === 'ADMIN';
    if (!admin && query.userId !== undefined && query.userId !== user.id) {
      throw new ForbiddenError("Only an ADMIN may read another user's usage");
    }
    if (query.apiKeyId !== undefined) await this.assertKeyReadable(user, query.apiKeyId);
    return this.build(
      query,
      {
        userId: admin ? query.userId : user.id,
        agentId: query.agentId,
        apiKeyId: query.apiKeyId,
      },
      ['day', 'agent', 'model'],
    );
  }

  /** An agent's usage by everyone (the route checked EDIT), by day, version and model by default. */
  async agentReport(agentId: string, query: UsagePeriodQueryDto): Promise<UsageReportDto> {
    const refused = (query.groupBy ?? []).filter((group) => !AGENT_GROUPS.includes(group));
    if (refused.length > 0) {
      throw new ValidationFailedError([
        { field: 'groupBy', message: `an agent's usage is grouped by ${AGENT_GROUPS.join(', ')} only` },
      ]);
    }
    return this.build(query, { agentId }, ['day', 'agentVersion', 'model']);
  }

  /** The budgets of the caller, or of one of their keys (ADMIN: anyone's key). */
  async budgetOf(user: AuthUser, query: BudgetQueryDto): Promise<BudgetsDto> {
    if (query.apiKeyId === undefined) return this.statusOf({ type: 'user', id: user.id });
    await this.assertKeyReadable(user, query.apiKeyId);
    return this.statusOf({ type: 'api_key', id: query.apiKeyId });
  }

  /** A user's or key's budgets (ADMIN). */
  async budgetOfSubject(subject: BudgetSubject): Promise<BudgetsDto> {
    await this.assertExists(subject);
    return this.statusOf(subject);
  }

  /** Sets an ADMIN's budgets of a user or key, period by period (see SetBudgetDto). */
  async setBudget(subject: BudgetSubject, dto: SetBudgetDto): Promise<BudgetsDto> {
    await this.assertExists(subject);
    for (const period of ['daily', 'monthly'] as BudgetPeriod[]) {
      const limit = dto[period];
      if (limit === undefined) continue;
      await this.budgets.set(
        subject,
        period,
        limit === null ? undefined : { maxTokens: limit.tokens ?? null, maxCost: limit.cost ?? null },
      );
    }
    return this.statusOf(subject);
  }

  private async statusOf(subject: BudgetSubject): Promise<BudgetsDto> {
    return { subject: subject.type, subjectId: subject.id, budgets: await this.budgets.status(subject) };
  }

  private async build(
    query: UsagePeriodQueryDto,
    filter: Omit<UsageFilter, 'from' | 'to'>,
    defaultGroups: UsageGroup[],
  ): Promise<UsageReportDto> {
    const { from, to } = rangeOf(query);
    const groups = query.groupBy ?? defaultGroups;
    const full = { ...filter, from, to };
    const [rows, totals] = await Promise.all([
      this.usage.aggregate(full, groups, query.limit + 1),
      this.usage.aggregate(full, [], 1),
    ]);
    return {
      from,
      to,
      groupBy: groups,
      currency: 'USD',
      totals: sumsDto(totals[0] ?? EMPTY),
      rows: rows.slice(0, query.limit).map((row) => ({ ...row, ...sumsDto(row) })),
      truncated: rows.length > query.limit,
    };
  }

  private async assertKeyReadable(user: AuthUser, keyId: string): Promise<void> {
    const key = await this.keys.findById(keyId);
    if (!key || (key.userId !== user.id && user.role !== 'ADMIN')) throw new NotFoundError('API key not found');
  }

  private async assertExists(subject: BudgetSubject): Promise<void> {
    if (subject.type === 'user') {
      if (!(await this.users.findById(subject.id))) throw new NotFoundError('User not found');
    } else if (!(await this.keys.findById(subject.id))) {
      throw new NotFoundError('API key not found');
    }
  }
}

const EMPTY: UsageSums = {
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  cost: 0,
  unpricedRequests: 0,
};

function sumsDto(sums: UsageSums): UsageSumsDto {
  return {
    requests: sums.requests,
    inputTokens: sums.inputTokens,
    outputTokens: sums.outputTokens,
    reasoningTokens: sums.reasoningTokens,
    cachedTokens: sums.cachedTokens,
    cacheWriteTokens: sums.cacheWriteTokens,
    totalTokens: sums.inputTokens + sums.outputTokens,
    cost: sums.cost,
    unpricedRequests: sums.unpricedRequests,
  };
}

/** The report's days: `to` defaults to today (UTC), `from` to 29 days before; at most 366 days. */
function rangeOf(query: UsagePeriodQueryDto): { from: string; to: string } {
  const to = query.to ?? isoDay(new Date());
  const toMs = Date.parse(`${to}T00:00:00Z`);
  const from = query.from ?? isoDay(new Date(toMs - (DEFAULT_DAYS - 1) * DAY_MS));
  const fromMs = Date.parse(`${from}T00:00:00Z`);
  if (Number.isNaN(toMs) || isoDay(new Date(toMs)) !== to) {
    throw new ValidationFailedError([{ field: 'to', message: 'to must be a calendar day' }]);
  }
  if (Number.isNaN(fromMs) || isoDay(new Date(fromMs)) !== from) {
    throw new ValidationFailedError([{ field: 'from', message: 'from must be a calendar day' }]);
  }
  if (fromMs > toMs) throw new ValidationFailedError([{ field: 'from', message: 'from must not be after to' }]);
  if ((toMs - fromMs) / DAY_MS >= MAX_DAYS) {
    throw new ValidationFailedError([{ field: 'from', message: `a report spans at most ${MAX_DAYS} days` }]);
  }
  return { from, to };
}
