/** Summed usage: requests, tokens (input includes cached, output includes reasoning) and cost. */
export class UsageSumsDto {
  /** @example 42 */
  requests!: number;
  /** @example 120000 */
  inputTokens!: number;
  /** @example 8000 */
  outputTokens!: number;
  /** Output tokens spent on reasoning (included in outputTokens). @example 2000 */
  reasoningTokens!: number;
  /** Input tokens read from the provider's cache (included in inputTokens). @example 30000 */
  cachedTokens!: number;
  /** Input tokens written to the provider's cache (included in inputTokens). @example 0 */
  cacheWriteTokens!: number;
  /** inputTokens + outputTokens. @example 128000 */
  totalTokens!: number;
  /** US dollars, from the config file's prices. @example 0.38 */
  cost!: number;
  /** Requests whose model has no price (they add nothing to cost). @example 0 */
  unpricedRequests!: number;
}

/** One group of a usage report; only the fields of its `groupBy` are present. */
export class UsageRowDto extends UsageSumsDto {
  /** UTC day. @example "2026-11-30" */
  day?: string;
  userId?: string;
  /** Null for requests made without an API key. */
  apiKeyId?: string | null;
  agentId?: string;
  agentVersion?: number;
  provider?: string;
  model?: string;
}

export class UsageReportDto {
  /** @example "2026-11-01" */
  from!: string;
  /** @example "2026-11-30" */
  to!: string;
  /** @example ["day", "model"] */
  groupBy!: string[];
  /** @example "USD" */
  currency!: 'USD';
  totals!: UsageSumsDto;
  rows!: UsageRowDto[];
  /** More groups matched than `limit`; narrow the days or the grouping. */
  truncated!: boolean;
}

/** One period's limit of a user or API key, with what it used and what running requests hold. */
export class BudgetStatusDto {
  /** @example "daily" */
  period!: 'daily' | 'monthly';
  /** Null: no token limit. @example 100000 */
  maxTokens!: number | null;
  /** US dollars; null: no cost limit. @example 5 */
  maxCost!: number | null;
  /** `admin` when an ADMIN set this subject's limit, else the config file's default. */
  source!: 'config' | 'admin';
  /** Tokens used this period (input + output). */
  usedTokens!: number;
  usedCost!: number;
  /** What requests running now hold until their usage is known. */
  reservedTokens!: number;
  reservedCost!: number;
  /** When the period ends (UTC). */
  resetsAt!: string;
}

export class BudgetsDto {
  subject!: 'user' | 'api_key';
  subjectId!: string;
  budgets!: BudgetStatusDto[];
}
