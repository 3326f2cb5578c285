import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsInt, IsUUID, Matches, Max, Min } from 'class-validator';
import { AGENT_ID_PATTERN, OptionalNotNull } from '@agents/core';
import { USAGE_GROUPS, type UsageGroup } from '../usage.repository';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

/** The days and grouping of a usage report (docs/http-api.md § Usage and budgets). */
export class UsagePeriodQueryDto {
  /** First UTC day as YYYY-MM-DD, inclusive (default: 29 days before `to`). */
  @OptionalNotNull()
  @Matches(DAY, { message: 'from must be a day as YYYY-MM-DD' })
  from?: string;

  /** Last UTC day as YYYY-MM-DD, inclusive (default: today). At most 366 days after `from`. */
  @OptionalNotNull()
  @Matches(DAY, { message: 'to must be a day as YYYY-MM-DD' })
  to?: string;

  /**
   * What to sum by, comma-separated: `day`, `agent`, `agentVersion`, `model`, and (for your own or,
   * as ADMIN, anyone's usage) `apiKey`, `user`, e.g. `day,model`. Empty sums everything into one row.
   */
  @OptionalNotNull()
  @Transform(toList)
  @ArrayMaxSize(6)
  @IsIn(Object.keys(USAGE_GROUPS), { each: true, message: `groupBy takes ${Object.keys(USAGE_GROUPS).join(', ')}` })
  groupBy?: UsageGroup[];

  /** Rows at most (1..5000); a report with more says `truncated`. @example 1000 */
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit: number = 1000;
}

/** `GET /api/usage`: the caller's usage, or (ADMIN) anyone's. */
export class UsageQueryDto extends UsagePeriodQueryDto {
  /** Whose usage (ADMIN only, unless it is your own id). */
  @OptionalNotNull()
  @IsUUID('all')
  userId?: string;

  /** Only this agent's requests. */
  @OptionalNotNull()
  @Matches(AGENT_ID_PATTERN, { message: 'agentId must be an agent id' })
  agentId?: string;

  /** Only this API key's requests (one of yours, or as ADMIN anyone's). */
  @OptionalNotNull()
  @IsUUID('all')
  apiKeyId?: string;
}

/** `GET /api/usage/budget`: the caller's budgets, or one of their API keys'. */
export class BudgetQueryDto {
  /** One of your API keys (ADMIN: anyone's); without it, your own budgets as a user. */
  @OptionalNotNull()
  @IsUUID('all')
  apiKeyId?: string;
}
