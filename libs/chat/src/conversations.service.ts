import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@agents/auth';
import {
  NotFoundError,
  UUID_PATTERN,
  decodeCursor,
  encodeCursor,
  toPage,
  type Page,
  type PageQueryDto,
} from '@agents/core';
import { ChatMessageDto, ConversationDto } from './dto/conversation.dto';
import type { MessagesQueryDto } from './dto/messages-query.dto';
import { ConversationsRepository } from './conversations.repository';
import { MessagesRepository } from './messages.repository';

/** Reading one's own conversations and their messages. Others' conversations do not exist (404). */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
  ) {}

  async list(user: AuthUser, query: PageQueryDto): Promise<Page<ConversationDto>> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, UUID_PATTERN);
    const rows = await this.conversations.listOwned(user.id, query.limit, after);
    return toPage(
      rows,
      query.limit,
      (c) => ConversationDto.from(c),
      (c) => c.id,
      (c) => encodeCursor({ at: c.updatedAt, id: c.id }),
    );
  }

  async get(user: AuthUser, conversationId: string): Promise<ConversationDto> {
    const conversation = await this.conversations.findOwned(user.id, conversationId);
    if (!conversation) throw notFound();
    return ConversationDto.from(conversation);
  }

  /** A page of one of the caller's conversations, oldest message first. */
  async messagesOf(user: AuthUser, conversationId: string, query: MessagesQueryDto): Promise<Page<ChatMessageDto>> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, UUID_PATTERN);
    if (!(await this.conversations.findOwned(user.id, conversationId))) throw notFound();
    const rows = await this.messages.pageOfConversation(conversationId, query.limit, after);
    return toPage(
      rows,
      query.limit,
      (m) => ChatMessageDto.from(m),
      (m) => m.id,
      (m) => encodeCursor({ at: m.createdAt, id: m.id }),
    );
  }
}

function notFound(): NotFoundError {
  return new NotFoundError('Conversation not found');
}
