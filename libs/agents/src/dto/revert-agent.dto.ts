import { IsInt, Max, Min } from 'class-validator';
import { OptionalNotNull } from '@agents/core';

/** Give exactly one of `version` and `version_index`. */
export class RevertAgentDto {
  /** The version number to return to (1 is the first). @example 2 */
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version?: number;

  /** LibreChat's 0-based index: version_index i means version i + 1. @example 1 */
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(2_147_483_646)
  version_index?: number;
}
