import { IsBoolean, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { OptionalNotNull } from '@agents/core';
import type { ContentPart } from '../message.entity';
import type { ConversationShareEntity } from '../shares/share.entity';
import type { ShareSummary } from '../shares/shares.repository';

/** `POST /api/share/:conversationId`. */
export class CreateShareDto {
  /**
   * The message the snapshot ends with: the thread from the conversation's first message down to
   * it, through parent links. Default: the conversation's latest message.
   * @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
   */
  @OptionalNotNull()
  @IsUUID('all')
  messageId?: string;
}

/** `PATCH /api/share/:shareId`: a new title and/or a new snapshot. */
export class UpdateShareDto {
  /** The share's own title (it starts as the conversation's). @example "How leave works" */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  @Matches(/\S/, { message: 'title must not be blank' })
  title?: string;

  /**
   * Take the snapshot again, down to this message of the conversation.
   * @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
   */
  @OptionalNotNull()
  @IsUUID('all')
  messageId?: string;

  /** `true`: take the snapshot again, down to the conversation's latest message. @example true */
  @OptionalNotNull()
  @IsBoolean()
  latest?: boolean;
}

/** A share link as its owner sees it. */
export class ShareDto {
  /** The link's secret id: the public snapshot is `GET /api/share/{shareId}`. @example "Xq3h0ZkLw9bD2mV7nR1sTg" */
  shareId!: string;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  conversationId!: string;
  /** @example "Leave policy" */
  title!: string;
  /** The conversation's message the snapshot ends with. @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" */
  messageId!: string;
  /** @example 4 */
  messageCount!: number;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /** When the snapshot or the title last changed. @example "2026-11-29T12:00:00.000Z" */
  updatedAt!: string;

  static from(share: ShareSummary): ShareDto {
    return {
      shareId: share.id,
      conversationId: share.conversationId,
      title: share.title,
      messageId: share.messageId,
      messageCount: share.messageCount,
      createdAt: share.createdAt.toISOString(),
      updatedAt: share.updatedAt.toISOString(),
    };
  }
}

export class ShareListDto {
  /** @example "list" */
  object!: 'list';
  data!: ShareDto[];
  first_id!: string | null;
  last_id!: string | null;
  has_more!: boolean;
  /** Pass as `cursor` for the next page. */
  after!: string | null;
}

/** A message of a public snapshot. Its ids are the snapshot's own, not the conversation's. */
export class SharedMessageDto {
  /** @example "0b5e2f9c-7d41-4e8a-9c3b-5a6d7e8f9a0b" */
  messageId!: string;
  /** The previous message of the snapshot; null for the first. */
  parentMessageId!: string | null;
  /** "User" or the agent's name. @example "User" */
  sender!: string;
  /** @example true */
  isCreatedByUser!: boolean;
  /** @example "What is our leave policy?" */
  text!: string;
  /** @example [{"type": "text", "text": "What is our leave policy?"}] */
  content!: ContentPart[];
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
}

/** What a share link shows anyone: the snapshot, nothing about its owner. */
export class PublicShareDto {
  /** @example "Xq3h0ZkLw9bD2mV7nR1sTg" */
  shareId!: string;
  /** @example "Leave policy" */
  title!: string;
  /** The thread, first message first. */
  messages!: SharedMessageDto[];
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /** When the snapshot was taken. @example "2026-11-29T12:00:00.000Z" */
  updatedAt!: string;

  static from(share: ConversationShareEntity): PublicShareDto {
    return {
      shareId: share.id,
      title: share.title,
      messages: share.messages.map((m) => ({
        messageId: m.messageId,
        parentMessageId: m.parentMessageId,
        sender: m.sender,
        isCreatedByUser: m.isCreatedByUser,
        text: m.text,
        content: m.content,
        createdAt: m.createdAt,
      })),
      createdAt: share.createdAt.toISOString(),
      updatedAt: share.updatedAt.toISOString(),
    };
  }
}
