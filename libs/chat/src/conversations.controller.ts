import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors } from '@agents/core';
import { ConversationsService } from './conversations.service';
import { ChatMessageDto, ConversationDto, ConversationListDto } from './dto/conversation.dto';
import { MessagesQueryDto } from './dto/messages-query.dto';
import { ConversationSearchListDto, ListConversationsQueryDto } from './dto/search.dto';
import { SearchService } from './search/search.service';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller()
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly search: SearchService,
  ) {}

  /**
   * The caller's conversations, newest activity first, cursor-paginated. With `search`, only those
   * whose title or messages match, best first, each with its best message's `snippet`.
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

  /** One of the caller's conversations. */
  @Get('convos/:id')
  @ApiErrors(404)
  get(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<ConversationDto> {
    return this.conversations.get(user, id);
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
