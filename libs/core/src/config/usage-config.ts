import { Type, plainToInstance } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

/** The most a price or a cost limit may be, in US dollars (per million tokens, or per period). */
const MAX_DOLLARS = 1_000_000;

/**
 * What one model costs, in US dollars per million tokens, from the config file's `prices`
 * (`{"openai": {"gpt-4o": {"input": 2.5, "output": 10, "cachedInput": 1.25}}}`). A model key
 * ending in `*` prices every model that starts with the rest (`"claude-sonnet-4*"`); the longest
 * matching key wins. Cached input defaults to the input price, cache writes too.
 */
export class ModelPriceConfig {
  /** The provider name as agents store it (`openai`, `anthropic`, `google`, a custom endpoint). */
  @IsString()
  @Matches(/^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/, { message: 'provider must be 1..64 letters, digits, _ or -' })
  provider!: string;

  @IsString()
  @MaxLength(256)
  @Matches(/^[^*]+\*?$|^\*$/, { message: 'model is a model name, a prefix ending in *, or *' })
  model!: string;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_DOLLARS)
  input!: number;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_DOLLARS)
  output!: number;

  /** Prompt tokens read from the provider's cache. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_DOLLARS)
  cachedInput?: number;

  /** Prompt tokens written to the provider's cache (Anthropic bills these above the input price). */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_DOLLARS)
  cacheWrite?: number;
}

/** One limit of a period: tokens (input + output) and/or cost in US dollars; either reached refuses requests. */
export class BudgetLimitConfig {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  tokens?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_DOLLARS)
  cost?: number;
}

/** The limits of one subject: per UTC day and per UTC calendar month. */
export class BudgetPeriodsConfig {
  @IsOptional()
  @ValidateNested()
  @Type(() => BudgetLimitConfig)
  daily?: BudgetLimitConfig;

  @IsOptional()
  @ValidateNested()
  @Type(() => BudgetLimitConfig)
  monthly?: BudgetLimitConfig;
}

/**
 * The config file's `budgets`: the default limits of every user and every API key (an ADMIN may
 * set others per user or key), and what a request reserves while it runs.
 */
export class BudgetsConfig {
  @IsOptional()
  @ValidateNested()
  @Type(() => BudgetPeriodsConfig)
  users?: BudgetPeriodsConfig;

  @IsOptional()
  @ValidateNested()
  @Type(() => BudgetPeriodsConfig)
  apiKeys?: BudgetPeriodsConfig;

  /**
   * Tokens a request holds against its budgets from its start until its usage is known (priced at
   * the model's output price for cost limits). Concurrent requests see each other's reservations.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  reserveTokens = 4_000;
}

/**
 * `prices: {provider: {model: price}}` becomes a list of prices that carry their provider and model.
 * It reads the raw file (`obj`), as class-transformer hands a transform the value after its own pass.
 */
export const toPriceList = ({ obj }: { obj: Record<string, unknown> }): unknown => {
  const value = obj.prices;
  if (value === undefined) return [];
  if (!isObject(value)) return value;
  return Object.entries(value).flatMap(([provider, models]) =>
    isObject(models)
      ? Object.entries(models).map(([model, price]) =>
          plainToInstance(ModelPriceConfig, { ...(isObject(price) ? price : {}), provider, model }),
        )
      : [plainToInstance(ModelPriceConfig, { provider, model: '' })],
  );
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
