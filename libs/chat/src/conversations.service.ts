import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '@agents/auth';
import {
  AppConfig,
  DatabaseService,
  NotFoundError,
  UUID_PATTERN,
  UnprocessableError,
  ValidationFailedError,
  decodeCursor,
  encodeCursor,
  toPage,
  type Page,
} from '@agents/core';
import { ConversationEntity } from './conversation.entity';
import { conversationMarkdown, exportFilename } from './conversation-export';
import { ConversationsRepository } from './conversations.repository';
import { ChatMessageDto, ConversationDto } from './dto/conversation.dto';
import type {
  ConversationExportDto,
  ExportFormat,
  ForkConversationDto,
  ForkedConversationDto,
  ListConversationsQueryDto,
  UpdateConversationDto,
} from './dto/manage-conversations.dto';
import type { MessagesQueryDto } from './dto/messages-query.dto';
import { MessageEntity } from './message.entity';
import { MAX_THREAD_DEPTH, MessagesRepository } from './messages.repository';

/** What a fork appends to the original's title. */
export const FORK_SUFFIX = ' (fork)';
/** The longest title the conversations table holds. */
const TITLE_COLUMN_LENGTH = 256;

/** An export ready to send: its file name and body in the asked format. */
export type ConversationExport =
  | { format: 'json'; filename: string; body: ConversationExportDto }
  | { format: 'markdown'; filename: string; body: string };

/**
 * One's own conversations and their messages: reading, renaming and archiving, exporting and
 * forking them (deleting is ConversationDeletionService's). Others' conversations do not exist (404).
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly config: AppConfig,
  ) {}

  /** A page of the caller's archived or other conversations, newest activity first. */
  async list(user: AuthUser, query: ListConversationsQueryDto): Promise<Page<ConversationDto>> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, UUID_PATTERN);
    const rows = await this.conversations.listOwned(user.id, query.isArchived, query.limit, after);
    return toPage(
      rows,
      query.limit,
      (c) => ConversationDto.from(c),
      (c) => c.id,
      (c) => encodeCursor({ at: c.updatedAt, id: c.id }),
    );
  }

  async get(user: AuthUser, conversationId: string): Promise<ConversationDto> {
    return ConversationDto.from(await this.owned(user, conversationId));
  }

  /** Renames, archives or brings back one of the caller's conversations. */
  async update(user: AuthUser, conversationId: string, dto: UpdateConversationDto): Promise<ConversationDto> {
    if (dto.title === undefined && dto.isArchived === undefined) {
      const message = 'send title, isArchived or both';
      throw new ValidationFailedError([
        { field: 'title', message },
        { field: 'isArchived', message },
      ]);
    }
    const changes = {
      ...(dto.title !== undefined ? { title: dto.title } : {}),
      ...(dto.isArchived !== undefined ? { isArchived: dto.isArchived } : {}),
    };
    const updated = await this.conversations.updateOwned(user.id, conversationId, changes);
    if (!updated) throw notFound();
    return ConversationDto.from(updated);
  }

  /** A page of one of the caller's conversations, oldest message first. */
  async messagesOf(user: AuthUser, conversationId: string, query: MessagesQueryDto): Promise<Page<ChatMessageDto>> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, UUID_PATTERN);
    await this.owned(user, conversationId);
    const rows = await this.messages.pageOfConversation(conversationId, query.limit, after);
    return toPage(
      rows,
      query.limit,
      (m) => ChatMessageDto.from(m),
      (m) => m.id,
      (m) => encodeCursor({ at: m.createdAt, id: m.id }),
    );
  }

  /**
   * One of the caller's conversations with its whole message tree, as JSON or as a Markdown
   * document. A conversation of more than EXPORT_MAX_MESSAGES messages is refused (422), never cut.
   */
  async export(user: AuthUser, conversationId: string, format: ExportFormat): Promise<ConversationExport> {
    const conversation = ConversationDto.from(await this.owned(user, conversationId));
    const max = this.config.exportMaxMessages;
    const rows = await this.messages.allOfConversation(conversationId, max + 1);
    if (rows.length > max) {
      throw new UnprocessableError(
        `This conversation has more than ${max} messages, more than an export holds (EXPORT_MAX_MESSAGES); ` +
          'read it page by page from GET /api/messages/:conversationId instead',
      );
    }
    const messages = rows.map((m) => ChatMessageDto.from(m));
    const exportedAt = new Date();
    if (format === 'markdown') {
      return {
        format,
        filename: exportFilename(conversation.title, 'md'),
        body: conversationMarkdown(conversation, messages, exportedAt),
      };
    }
    return {
      format,
      filename: exportFilename(conversation.title, 'json'),
      body: { exportedAt: exportedAt.toISOString(), conversation, messages },
    };
  }

  /**
   * Copies the thread from the root down to `messageId` (parent links, not siblings) into a new
   * conversation of the caller's, in one transaction: new ids, parent links between the copies,
   * the same texts, content, attachments and token counts; ratings are not copied.
   */
  async fork(user: AuthUser, dto: ForkConversationDto): Promise<ForkedConversationDto> {
    const original = await this.owned(user, dto.conversationId);
    const thread = await this.messages.threadTo(original.id, dto.messageId);
    if (thread.length === 0) throw new NotFoundError('Message not found');
    if (thread[0].parentMessageId !== null) {
      throw new UnprocessableError(
        `The thread down to this message is longer than ${MAX_THREAD_DEPTH} messages, more than a fork copies`,
      );
    }
    const now = new Date();
    const conversation = Object.assign(new ConversationEntity(), {
      id: randomUUID(),
      userId: user.id,
      agentId: original.agentId,
      title: forkTitle(original.title),
      isArchived: false,
      createdAt: now,
      updatedAt: now,
    });
    const newIds = new Map(thread.map((m) => [m.id, randomUUID()]));
    const copies = thread.map((m) => copyInto(m, conversation.id, newIds));
    await this.db.transaction(async (m) => {
      await this.conversations.insert(m, conversation);
      await this.messages.insertMany(m, copies);
    });
    return { conversation: ConversationDto.from(conversation), messages: copies.map((m) => ChatMessageDto.from(m)) };
  }

  private async owned(user: AuthUser, conversationId: string): Promise<ConversationEntity> {
    const conversation = await this.conversations.findOwned(user.id, conversationId);
    if (!conversation) throw notFound();
    return conversation;
  }
}

/** "<original title> (fork)", the original shortened to fit the title column. */
export function forkTitle(title: string): string {
  return `${Array.from(title)
    .slice(0, TITLE_COLUMN_LENGTH - FORK_SUFFIX.length)
    .join('')}${FORK_SUFFIX}`;
}

/** A message copied into another conversation: its new id, its parent's new id, its attachments re-pointed. */
function copyInto(message: MessageEntity, conversationId: string, newIds: Map<string, string>): MessageEntity {
  const id = newIds.get(message.id)!;
  return Object.assign(new MessageEntity(), {
    ...message,
    id,
    conversationId,
    parentMessageId: message.parentMessageId === null ? null : (newIds.get(message.parentMessageId) ?? null),
    attachments: (message.attachments ?? []).map((a) => ({ ...a, messageId: id, conversationId })),
    feedbackRating: null,
    feedbackTag: null,
    feedbackText: null,
    feedbackAt: null,
  });
}

function notFound(): NotFoundError {
  return new NotFoundError('Conversation not found');
}
