import { IsIn, IsOptional } from 'class-validator';

/** OpenAI's reasoning efforts; each is passed to the provider, which may reject one its model lacks. */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** OpenAI's verbosity levels, passed to the provider. */
export const VERBOSITIES = ['low', 'medium', 'high'] as const;
export type Verbosity = (typeof VERBOSITIES)[number];

/**
 * OpenAI's service tiers. A tier decides how OpenAI schedules and bills a request, not what the
 * answer says; every request here is processed alike, so each is accepted and the tier that
 * applied (`default`) is echoed, as OpenAI echoes the tier actually used.
 */
export const SERVICE_TIERS = ['auto', 'default', 'flex', 'scale', 'priority', 'fast', 'ultrafast'] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];

/** The tier every request is processed with. */
export const APPLIED_SERVICE_TIER = 'default';

/** `prompt_cache_options`: how OpenAI caches prompts; caching never changes an answer, so accepted and not used. */
export class PromptCacheOptionsDto {
  /** @example "30m" */
  @IsOptional()
  @IsIn(['30m'])
  ttl?: '30m' | null;

  /** @example "implicit" */
  @IsOptional()
  @IsIn(['implicit', 'explicit'])
  mode?: 'implicit' | 'explicit' | null;
}
