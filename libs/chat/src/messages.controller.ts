import { Body, Controller, Delete, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors } from '@agents/core';
import { ChatMessageDto } from './dto/conversation.dto';
import { EditMessageDto, MessageFeedbackResultDto, SetFeedbackDto } from './dto/message-edits.dto';
import { MessagesService } from './messages.service';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('messages/:conversationId/:messageId')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /**
   * Replaces the text of an answer in one of the caller's conversations and marks it `edited`: its
   * text parts become the one new text, in the place of the last one; reasoning and tool calls stay.
   * The user's own messages are not edited here (400), nor an answer still being generated (409).
   */
  @Put()
  @ApiErrors(400, 404, 409)
  edit(
    @CurrentUser() user: AuthUser,
    @Param('conversationId') conversationId: string,
    @Param('messageId') messageId: string,
    @Body() dto: EditMessageDto,
  ): Promise<ChatMessageDto> {
    return this.messages.edit(user, conversationId, messageId, dto);
  }

  /** Rates an answer in one of the caller's conversations, replacing an earlier rating. */
  @Put('feedback')
  @ApiErrors(400, 404)
  setFeedback(
    @CurrentUser() user: AuthUser,
    @Param('conversationId') conversationId: string,
    @Param('messageId') messageId: string,
    @Body() dto: SetFeedbackDto,
  ): Promise<MessageFeedbackResultDto> {
    return this.messages.setFeedback(user, conversationId, messageId, dto);
  }

  /** Removes the caller's rating of an answer. */
  @Delete('feedback')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async clearFeedback(
    @CurrentUser() user: AuthUser,
    @Param('conversationId') conversationId: string,
    @Param('messageId') messageId: string,
  ): Promise<void> {
    await this.messages.clearFeedback(user, conversationId, messageId);
  }
}
