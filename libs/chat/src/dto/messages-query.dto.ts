import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { OptionalNotNull } from '@agents/core';

/** Messages per page when the client names no `limit`, and the most it may ask for. */
export const DEFAULT_MESSAGES_PAGE = 100;
export const MAX_MESSAGES_PAGE = 1000;

/** `limit` and `cursor` of `GET /api/messages/:conversationId`. */
export class MessagesQueryDto {
  /** Page size, 1..1000. @example 100 */
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_MESSAGES_PAGE)
  limit: number = DEFAULT_MESSAGES_PAGE;

  /** The cursor of the `Link: <…>; rel="next"` header of the previous page. */
  @OptionalNotNull()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
