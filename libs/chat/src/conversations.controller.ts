import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors, ErrorResponseDto } from '@agents/core';
import { contentDisposition } from '@agents/files';
import { ConversationDeletionService } from './conversation-deletion.service';
import { ConversationsService } from './conversations.service';
import { ChatMessageDto, ConversationDto, ConversationListDto } from './dto/conversation.dto';
import {
  ConversationExportDto,
  DeletedConversationsDto,
  ExportConversationQueryDto,
  ForkConversationDto,
  ForkedConversationDto,
  ListConversationsQueryDto,
  UpdateConversationDto,
} from './dto/manage-conversations.dto';
import { MessagesQueryDto } from './dto/messages-query.dto';
import { NoBodyPipe, RequestBody } from './no-body.pipe';

const EXPORT_TOO_LARGE: ErrorResponseDto = {
  error: 'Unprocessable Entity',
  message:
    'This conversation has more than 5000 messages, more than an export holds (EXPORT_MAX_MESSAGES); ' +
    'read it page by page from GET /api/messages/:conversationId instead',
};

const FORK_TOO_DEEP: ErrorResponseDto = {
  error: 'Unprocessable Entity',
  message: 'The thread down to this message is longer than 1000 messages, more than a fork copies',
};
import { ConversationSearchListDto } from './dto/search.dto';
import { SearchService } from './search/search.service';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller()
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly deletion: ConversationDeletionService,
    private readonly search: SearchService,
  ) {}

  /**
   * The caller's conversations, newest activity first, cursor-paginated: the ones not archived, or
   * with `isArchived=true` the archived ones. With `search`, those whose title or messages match,
   * archived or not, best first, each with its best message's `snippet`.
   */
  @Get('convos')
  @ApiExtraModels(ConversationListDto, ConversationSearchListDto)
  @ApiOkResponse({
    schema: {
      oneOf: [{ $ref: getSchemaPath(ConversationListDto) }, { $ref: getSchemaPath(ConversationSearchListDto) }],
    },
  })
  @ApiErrors(400)
  list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListConversationsQueryDto,
  ): Promise<ConversationListDto | ConversationSearchListDto> {
    const { search } = query;
    if (search !== undefined) return this.search.conversations(user, { ...query, search });
    return this.conversations.list(user, query);
  }

  /**
   * Deletes every conversation of the caller's, with their messages (running generations are
   * aborted first). The account, its files and its usage records stay. Takes no body: one is
   * refused (400), so a client that names a single conversation in it (LibreChat sends
   * `{arg: {conversationId}}` to this path) never deletes them all.
   */
  @Delete('convos')
  @ApiErrors(400)
  async removeAll(
    @CurrentUser() user: AuthUser,
    @RequestBody(NoBodyPipe) _body: undefined,
  ): Promise<DeletedConversationsDto> {
    return { deleted: await this.deletion.removeAll(user) };
  }

  /**
   * Copies the thread from the root down to a message of one of the caller's conversations into a
   * new conversation of theirs, with new message ids; the siblings of the thread are not copied.
   */
  @Post('convos/fork')
  @ApiCreatedResponse({ type: ForkedConversationDto })
  @ApiErrors(400, 404)
  @ApiResponse({
    status: 422,
    description: 'The thread down to the message is deeper than a fork copies (1,000 messages)',
    type: ErrorResponseDto,
    example: FORK_TOO_DEEP,
  })
  fork(@CurrentUser() user: AuthUser, @Body() dto: ForkConversationDto): Promise<ForkedConversationDto> {
    return this.conversations.fork(user, dto);
  }

  /** One of the caller's conversations. */
  @Get('convos/:id')
  @ApiErrors(404)
  get(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<ConversationDto> {
    return this.conversations.get(user, id);
  }

  /** Renames, archives or brings back one of the caller's conversations (at least one field). */
  @Patch('convos/:id')
  @ApiErrors(400, 404)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() dto: UpdateConversationDto,
  ): Promise<ConversationDto> {
    return this.conversations.update(user, id, dto);
  }

  /**
   * Deletes one of the caller's conversations with its messages; a running generation in it is
   * aborted first. Nothing of it can be read afterwards.
   */
  @Delete('convos/:id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(404)
  async remove(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    await this.deletion.remove(user, id);
  }

  /**
   * One of the caller's conversations as a download: JSON (the conversation and its whole message
   * tree) or a Markdown document (every thread of the tree, in tree order).
   */
  @Get('convos/:id/export')
  @ApiProduces('application/json', 'text/markdown')
  @ApiOkResponse({
    type: ConversationExportDto,
    description: 'JSON, or with `format=markdown` a Markdown document (`text/markdown`)',
    headers: {
      'Content-Disposition': {
        description: '`attachment; filename="<title>.json"` (or `.md`), with the exact name as `filename*`',
        schema: { type: 'string' },
      },
    },
  })
  @ApiErrors(400, 404)
  @ApiResponse({
    status: 422,
    description: 'The conversation has more messages than an export holds (EXPORT_MAX_MESSAGES)',
    type: ErrorResponseDto,
    example: EXPORT_TOO_LARGE,
  })
  async export(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Query() query: ExportConversationQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConversationExportDto | string> {
    const exported = await this.conversations.export(user, id, query.format);
    res.setHeader('Content-Disposition', contentDisposition('attachment', exported.filename));
    res.setHeader('Cache-Control', 'private, no-store');
    if (exported.format === 'markdown') res.setHeader('Content-Type', 'text/markdown; charset=utf-8');
    return exported.body;
  }

  /**
   * The messages of one of the caller's conversations, oldest first, with their parent links: a
   * JSON array as LibreChat clients expect, one page of `limit` (default 100, at most 1000). When
   * more follow, the `Link` header names the next page (`rel="next"`, RFC 8288).
   */
  @Get('messages/:conversationId')
  @ApiOkResponse({
    type: [ChatMessageDto],
    headers: {
      Link: {
        description: 'Present when more messages follow: `</api/messages/…?limit=…&cursor=…>; rel="next"`',
        schema: { type: 'string' },
      },
    },
  })
  @ApiErrors(400, 404)
  async messages(
    @CurrentUser() user: AuthUser,
    @Param('conversationId') id: string,
    @Query() query: MessagesQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChatMessageDto[]> {
    const page = await this.conversations.messagesOf(user, id, query);
    if (page.after !== null) {
      res.setHeader('Link', `</api/messages/${id}?limit=${query.limit}&cursor=${page.after}>; rel="next"`);
    }
    return page.data;
  }
}
