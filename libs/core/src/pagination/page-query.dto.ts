import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { OptionalNotNull } from '../validation/validation';

/** `limit` and `cursor` of every cursor-paginated list. */
export class PageQueryDto {
  /** Page size, 1..100. @example 20 */
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  /** The `after` value of the previous page. */
  @OptionalNotNull()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
