import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors, PageQueryDto } from '@agents/core';
import { ConversationsService } from './conversations.service';
import { ChatMessageDto, ConversationDto, ConversationListDto } from './dto/conversation.dto';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller()
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  /** The caller's conversations, newest activity first, cursor-paginated. */
  @Get('convos')
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: PageQueryDto): Promise<ConversationListDto> {
    return this.conversations.list(user, query);
  }

  /** One of the caller's conversations. */
  @Get('convos/:id')
  @ApiErrors(404)
  get(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<ConversationDto> {
    return this.conversations.get(user, id);
  }

  /** The messages of one of the caller's conversations, oldest first, with their parent links. */
  @Get('messages/:conversationId')
  @ApiErrors(404)
  messages(@CurrentUser() user: AuthUser, @Param('conversationId') id: string): Promise<ChatMessageDto[]> {
    return this.conversations.messagesOf(user, id);
  }
}
