import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '@agents/core';
import { MAX_SEARCH_LENGTH } from '../search/search-query';
import { ConversationDto } from './conversation.dto';

/*
 * No search carries an `example`: Swagger UI's "Try it out" fills examples in.
 */

/** `search`, `limit` and `cursor` of `GET /api/messages`. */
export class SearchMessagesQueryDto extends PageQueryDto {
  /**
   * Words as a web search box takes them: `"exact phrase"`, `or`, `-excluded`; 1..200 characters,
   * English stemming ("plans" finds "plan").
   */
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_SEARCH_LENGTH)
  @Matches(/\S/, { message: 'search must contain a word' })
  search!: string;
}

/** One of the caller's messages that matches a search. */
export class MessageSearchHitDto {
  /** @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" */
  messageId!: string;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  conversationId!: string;
  /** The conversation's title. @example "Leave policy" */
  title!: string;
  /** "User" or the agent's name. @example "User" */
  sender!: string;
  /** @example true */
  isCreatedByUser!: boolean;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /**
   * Up to two fragments of the text around the matches, joined by " … ", each match between « and ».
   * Plain text like `text` (HTML included as sent): escape it, then turn « » into highlighting. The
   * text's own « and » appear as ‹ and ›, so « and » only ever mark matches.
   * @example "How many days of «leave» do I get after two years?"
   */
  snippet!: string;
}

export class MessageSearchListDto {
  /** @example "list" */
  object!: 'list';
  data!: MessageSearchHitDto[];
  first_id!: string | null;
  last_id!: string | null;
  has_more!: boolean;
  /** Pass as `cursor`, with the same `search`, for the next page. */
  after!: string | null;
}

/** A conversation that matches a search: the list's fields, and its best-matching message. */
export class ConversationSearchHitDto extends ConversationDto {
  /** The best-matching message; null when only the title matches. @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" */
  messageId!: string | null;
  /**
   * That message's snippet, matches between « and » (as in `GET /api/messages?search=`); null when
   * only the title matches. @example "How many days of «leave» do I get?"
   */
  snippet!: string | null;
}

export class ConversationSearchListDto {
  /** @example "list" */
  object!: 'list';
  data!: ConversationSearchHitDto[];
  first_id!: string | null;
  last_id!: string | null;
  has_more!: boolean;
  /** Pass as `cursor`, with the same `search`, for the next page. */
  after!: string | null;
}
