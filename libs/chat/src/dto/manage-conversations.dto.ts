import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalNotNull, PageQueryDto } from '@agents/core';
import { ChatMessageDto, ConversationDto } from './conversation.dto';
import { MAX_SEARCH_LENGTH } from '../search/search-query';

/** The longest title a user may give a conversation, in characters (after trimming). */
export const MAX_TITLE_LENGTH = 200;

/** How a query string spells a boolean; anything else stays as it is and fails validation. */
const QUERY_BOOLEANS = new Map<unknown, boolean>([
  ['1', true],
  ['true', true],
  ['0', false],
  ['false', false],
]);

/*
 * No query filter carries an `example`: Swagger UI's "Try it out" fills examples in, and a user
 * would see a list filtered by them.
 */

/** `GET /api/convos`: a page of the caller's archived or other conversations. */
export class ListConversationsQueryDto extends PageQueryDto {
  /** `true`/`1`: only archived conversations; `false`/`0` (the default): only the others. */
  @ApiPropertyOptional({ enum: ['1', 'true', '0', 'false'] })
  @OptionalNotNull()
  @Transform(({ value }: { value: unknown }) => QUERY_BOOLEANS.get(value) ?? value)
  @IsBoolean({ message: 'isArchived must be 1, true, 0 or false' })
  isArchived: boolean = false;

  /**
   * Only the conversations whose title or messages match, archived or not (`isArchived` does not
   * apply), best first, each with the `snippet` of its best message. Words as a web search box
   * takes them: `"exact phrase"`, `or`, `-excluded`; 1..200 characters.
   */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_SEARCH_LENGTH)
  @Matches(/\S/, { message: 'search must contain a word' })
  search?: string;
}

/** `PATCH /api/convos/:id`: at least one of the fields. */
export class UpdateConversationDto {
  /** The new title, 1..200 characters once trimmed, on one line. @example "Leave policy questions" */
  @OptionalNotNull()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1, { message: 'title must not be empty or blank' })
  @MaxLength(MAX_TITLE_LENGTH)
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'title must be one line without control characters' })
  title?: string;

  /** Archive (true) or bring back (false) the conversation. @example true */
  @OptionalNotNull()
  @IsBoolean()
  isArchived?: boolean;
}

export class DeletedConversationsDto {
  /** How many conversations were deleted. @example 12 */
  deleted!: number;
}

/** Formats of `GET /api/convos/:id/export`. */
export const EXPORT_FORMATS = ['json', 'markdown'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportConversationQueryDto {
  /** `json` (the default): the conversation and its whole message tree; `markdown`: a readable document. */
  @ApiPropertyOptional({ enum: EXPORT_FORMATS })
  @OptionalNotNull()
  @IsIn(EXPORT_FORMATS, { message: 'format must be json or markdown' })
  format: ExportFormat = 'json';
}

/** A conversation as `GET /api/convos/:id/export?format=json` answers it. */
export class ConversationExportDto {
  /** @example "2026-11-29T12:30:00.000Z" */
  exportedAt!: string;
  conversation!: ConversationDto;
  /** Every message of the conversation, oldest first, with its parent link: the whole tree, every branch. */
  messages!: ChatMessageDto[];
}

/** `POST /api/convos/fork`. */
export class ForkConversationDto {
  /** One of the caller's conversations. @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  @IsUUID('all')
  conversationId!: string;

  /** A message of that conversation: the thread from its root down to this message is copied. @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" */
  @IsUUID('all')
  messageId!: string;
}

export class ForkedConversationDto {
  /** The new conversation, the caller's, titled "<original title> (fork)". */
  conversation!: ConversationDto;
  /** The copied thread, root first, with new ids and parent links between the copies. */
  messages!: ChatMessageDto[];
}
