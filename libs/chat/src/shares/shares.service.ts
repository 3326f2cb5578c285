import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@agents/auth';
import {
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  ValidationFailedError,
  UUID_PATTERN,
  decodeCursor,
  encodeCursor,
  toPage,
  type Page,
  type PageQueryDto,
} from '@agents/core';
import { ConversationsRepository } from '../conversations.repository';
import { MessagesRepository } from '../messages.repository';
import { type CreateShareDto, PublicShareDto, ShareDto, type UpdateShareDto } from '../dto/share.dto';
import type { ConversationShareEntity, SharedMessage } from './share.entity';
import { SharesRepository } from './shares.repository';

/** Share links one user may hold (409 beyond). */
export const MAX_SHARES_PER_USER = 1000;
/** Messages one snapshot may hold: a longer thread is refused (413). */
export const MAX_SHARED_MESSAGES = 500;
/** The largest snapshot, as JSON (413 beyond). */
export const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;
/** Random bytes of a share id: 128 bits, 22 base64url characters. */
const SHARE_ID_BYTES = 16;
const SHARE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

interface Snapshot {
  messageId: string;
  messages: SharedMessage[];
}

/**
 * Share links: read-only public snapshots of a thread of one's own conversation
 * (docs/http-api.md § Share links). A snapshot is copied into the share when it is taken, so the
 * conversation's later messages never appear in it; the owner takes it again with PATCH. Another
 * user's share or conversation does not exist (404).
 */
@Injectable()
export class SharesService {
  constructor(
    private readonly shares: SharesRepository,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
  ) {}

  async create(user: AuthUser, conversationId: string, dto: CreateShareDto): Promise<ShareDto> {
    const conversation = await this.conversations.findOwned(user.id, conversationId);
    if (!conversation) throw new NotFoundError('Conversation not found');
    const snapshot = await this.snapshot(conversation.id, dto.messageId);
    const now = new Date();
    const share: ConversationShareEntity = {
      id: randomBytes(SHARE_ID_BYTES).toString('base64url'),
      conversationId: conversation.id,
      userId: user.id,
      title: conversation.title,
      messageId: snapshot.messageId,
      messageCount: snapshot.messages.length,
      messages: snapshot.messages,
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.shares.createWithinLimit(share, MAX_SHARES_PER_USER);
    if (!created) {
      throw new ConflictError(`A user may hold at most ${MAX_SHARES_PER_USER} share links; delete one first`);
    }
    return ShareDto.from(created);
  }

  async list(user: AuthUser, query: PageQueryDto): Promise<Page<ShareDto>> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, SHARE_ID_PATTERN);
    const rows = await this.shares.listOwned(user.id, query.limit, after);
    return toPage(
      rows,
      query.limit,
      (s) => ShareDto.from(s),
      (s) => s.id,
      (s) => encodeCursor({ at: s.createdAt, id: s.id }),
    );
  }

  /** The snapshot behind a link, for anyone who has the link. */
  async getPublic(shareId: string): Promise<PublicShareDto> {
    const share = SHARE_ID_PATTERN.test(shareId) ? await this.shares.findById(shareId) : null;
    if (!share) throw notFound();
    return PublicShareDto.from(share);
  }

  async update(user: AuthUser, shareId: string, dto: UpdateShareDto): Promise<ShareDto> {
    if (dto.messageId !== undefined && dto.latest !== undefined) {
      throw new ValidationFailedError([
        { field: 'latest', message: 'latest cannot be combined with messageId: the snapshot ends at one of them' },
      ]);
    }
    const share = await this.owned(user, shareId);
    const resnapshot = dto.messageId !== undefined || dto.latest === true;
    if (!resnapshot && (dto.title === undefined || dto.title === share.title)) return ShareDto.from(share);
    const snapshot = resnapshot ? await this.snapshot(share.conversationId, dto.messageId) : null;
    const changes = {
      ...(dto.title === undefined ? {} : { title: dto.title }),
      ...(snapshot
        ? { messageId: snapshot.messageId, messageCount: snapshot.messages.length, messages: snapshot.messages }
        : {}),
      updatedAt: new Date(),
    };
    if (!(await this.shares.update(user.id, share.id, changes))) throw notFound();
    const { messages: _messages, ...summary } = changes;
    return ShareDto.from({ ...share, ...summary });
  }

  async remove(user: AuthUser, shareId: string): Promise<void> {
    if (!SHARE_ID_PATTERN.test(shareId) || !(await this.shares.deleteOwned(user.id, shareId))) throw notFound();
  }

  private async owned(user: AuthUser, shareId: string) {
    const share = SHARE_ID_PATTERN.test(shareId) ? await this.shares.findOwned(user.id, shareId) : null;
    if (!share) throw notFound();
    return share;
  }

  /**
   * The thread from the conversation's first message down to `messageId` (default: its latest
   * message), re-identified: the snapshot's messages get ids of their own, so a public link reveals
   * none of the conversation's.
   */
  private async snapshot(conversationId: string, messageId: string | undefined): Promise<Snapshot> {
    let target = messageId;
    if (target === undefined) {
      target = (await this.messages.latestIn(conversationId))?.id;
      if (target === undefined) throw new ConflictError('The conversation has no messages to share');
    }
    const thread = UUID_PATTERN.test(target)
      ? await this.shares.threadTo(conversationId, target, MAX_SHARED_MESSAGES + 1)
      : [];
    if (thread.length === 0) throw new NotFoundError('Message not found in this conversation');
    if (thread.length > MAX_SHARED_MESSAGES) {
      throw new PayloadTooLargeError([
        {
          field: 'messageId',
          message: `the thread down to this message has more than ${MAX_SHARED_MESSAGES} messages, the most a share holds`,
        },
      ]);
    }
    let parentMessageId: string | null = null;
    const messages = thread.map((m): SharedMessage => {
      const shared: SharedMessage = {
        messageId: randomUUID(),
        parentMessageId,
        sender: m.sender,
        isCreatedByUser: m.isCreatedByUser,
        text: m.text,
        content: m.content,
        createdAt: m.createdAt.toISOString(),
      };
      parentMessageId = shared.messageId;
      return shared;
    });
    if (Buffer.byteLength(JSON.stringify(messages)) > MAX_SNAPSHOT_BYTES) {
      throw new PayloadTooLargeError([
        {
          field: 'messageId',
          message: `the thread down to this message is larger than ${MAX_SNAPSHOT_BYTES / 1024 / 1024} MiB, the most a share holds`,
        },
      ]);
    }
    return { messageId: target, messages };
  }
}

function notFound(): NotFoundError {
  return new NotFoundError('Share link not found');
}
