import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { OptionalNotNull, PageQueryDto } from '@agents/core';

/*
 * No filter carries an `example`: Swagger UI's "Try it out" fills examples in, and a new user would
 * see an empty list filtered by them.
 */

/** How a query string spells a boolean; anything else stays as it is and fails validation. */
const QUERY_BOOLEANS = new Map<unknown, boolean>([
  ['1', true],
  ['true', true],
  ['0', false],
  ['false', false],
]);

export class ListAgentsQueryDto extends PageQueryDto {
  /** Case-insensitive match on name or description, e.g. `hr`. */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  search?: string;

  /** Only agents of this category, e.g. `general`. */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  category?: string;

  /** Only agents on which the caller holds all of these permission bits (VIEW=1 … USE=16), e.g. `16` for the ones you may chat with. */
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(31)
  requiredPermission?: number;

  /**
   * `1`/`true`: only agents an ADMIN promoted; `0`/`false`: only the others (LibreChat's
   * marketplace sends `promoted=1` for its "Top picks").
   */
  @ApiPropertyOptional({ enum: ['1', 'true', '0', 'false'] })
  @OptionalNotNull()
  @Transform(({ value }: { value: unknown }) => QUERY_BOOLEANS.get(value) ?? value)
  @IsBoolean({ message: 'promoted must be 1, true, 0 or false' })
  promoted?: boolean;
}
