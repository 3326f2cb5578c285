import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContentPart } from '../message.entity';

/**
 * One message of a share's snapshot, as the public sees it: re-identified (`messageId` and
 * `parentMessageId` are the snapshot's own, not the conversation's) and without anything that
 * points back at its owner (user ids, files, attachments, models, token counts).
 */
export interface SharedMessage {
  messageId: string;
  parentMessageId: string | null;
  sender: string;
  isCreatedByUser: boolean;
  text: string;
  content: ContentPart[];
  createdAt: string;
}

/** A read-only public snapshot of a conversation's thread (migration 1765800000001). */
@Entity({ name: 'conversation_shares' })
export class ConversationShareEntity {
  /** 128 random bits, base64url: the share link's secret. */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 256 })
  title!: string;

  /** The conversation's message the snapshot ends with (the owner's id, never shown publicly). */
  @Column({ name: 'message_id', type: 'uuid' })
  messageId!: string;

  @Column({ name: 'message_count', type: 'integer' })
  messageCount!: number;

  @Column({ type: 'jsonb' })
  messages!: SharedMessage[];

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  /** When the snapshot or its title last changed. */
  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
