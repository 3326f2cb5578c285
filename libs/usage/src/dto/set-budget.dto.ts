import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';

/** A limit of one period; a field left out or null sets no limit on that measure. */
export class BudgetLimitDto {
  /** Tokens (input + output) per period. @example 100000 */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  tokens?: number | null;

  /** US dollars per period. @example 5 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 9 })
  @Min(0)
  @Max(1_000_000)
  cost?: number | null;
}

/**
 * An ADMIN's budgets for one user or API key. A period given as an object replaces that period's
 * limit (`{}` means no limit, whatever the default); `null` removes it, so the config file's
 * default applies again; a period left out is unchanged.
 */
export class SetBudgetDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => BudgetLimitDto)
  daily?: BudgetLimitDto | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => BudgetLimitDto)
  monthly?: BudgetLimitDto | null;
}
