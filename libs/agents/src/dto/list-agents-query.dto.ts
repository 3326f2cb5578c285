import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { OptionalNotNull, PageQueryDto } from '@agents/core';

export class ListAgentsQueryDto extends PageQueryDto {
  /** Case-insensitive match on name or description. @example "hr" */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  search?: string;

  /** Only agents of this category. @example "general" */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  category?: string;

  /** Only agents on which the caller holds all of these permission bits (VIEW=1 … USE=16). @example 1 */
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(31)
  requiredPermission?: number;
}
