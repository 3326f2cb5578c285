import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One part of a message's content, as LibreChat clients render it. */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'think'; think: string }
  | { type: 'tool_call'; tool_call: { id: string; name: string; args: string; output?: string } };

/**
 * What a tool handed the user beside the answer's text, with the call it came from: web search
 * citations (`citations`), an image (`image`, base64 `data`) or a resource (`resource`).
 */
export interface MessageAttachment {
  type: 'citations' | 'image' | 'resource' | 'file';
  toolCallId: string;
  messageId: string;
  conversationId: string | null;
  /** The search, for citations. */
  query?: string;
  citations?: {
    index: number;
    title: string;
    url: string;
    snippet?: string;
    source?: string;
    publishedAt?: string;
    fileId?: string;
    page?: number | null;
  }[];
  fileId?: string;
  filename?: string;
  bytes?: number;
  mimeType?: string;
  data?: string;
  name?: string;
  uri?: string;
  text?: string;
}

/** A file the user attached to a message, as it was when the message was sent. */
export interface MessageFileRef {
  file_id: string;
  filename: string;
  /** The file's MIME type. */
  type: string;
  bytes: number;
}

/** How a user rated an answer. */
export const FEEDBACK_RATINGS = ['thumbsUp', 'thumbsDown'] as const;
export type FeedbackRating = (typeof FEEDBACK_RATINGS)[number];

/**
 * The reasons a rating may give, each for one rating: LibreChat's feedback tags, so its client's
 * choices are accepted as they are.
 */
export const FEEDBACK_TAGS = {
  not_matched: 'thumbsDown',
  inaccurate: 'thumbsDown',
  bad_style: 'thumbsDown',
  missing_image: 'thumbsDown',
  unjustified_refusal: 'thumbsDown',
  not_helpful: 'thumbsDown',
  other: 'thumbsDown',
  accurate_reliable: 'thumbsUp',
  creative_solution: 'thumbsUp',
  clear_well_written: 'thumbsUp',
  attention_to_detail: 'thumbsUp',
} as const satisfies Record<string, FeedbackRating>;
export type FeedbackTag = keyof typeof FEEDBACK_TAGS;

@Entity({ name: 'messages' })
export class MessageEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @Column({ name: 'parent_message_id', type: 'uuid', nullable: true })
  parentMessageId!: string | null;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 256 })
  sender!: string;

  @Column({ name: 'is_created_by_user', type: 'boolean' })
  isCreatedByUser!: boolean;

  @Column({ type: 'text' })
  text!: string;

  @Column({ type: 'jsonb' })
  content!: ContentPart[];

  /** The tools' citations, images and resources, as the stream's `attachment` events carried them. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  attachments!: MessageAttachment[];

  /** The files the user attached (user messages only). */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  files!: MessageFileRef[];

  @Column({ type: 'boolean' })
  unfinished!: boolean;

  @Column({ type: 'boolean' })
  error!: boolean;

  @Column({ name: 'agent_id', type: 'varchar', length: 32, nullable: true })
  agentId!: string | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  model!: string | null;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  /** Completion tokens spent on reasoning (included in completionTokens), when the provider said. */
  @Column({ name: 'reasoning_tokens', type: 'integer', nullable: true })
  reasoningTokens!: number | null;

  /** Prompt tokens read from the provider's cache (included in promptTokens), when the provider said. */
  @Column({ name: 'cached_tokens', type: 'integer', nullable: true })
  cachedTokens!: number | null;

  /** The provider that answered (answers only). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  provider!: string | null;

  /** The agent version that answered (answers only). */
  @Column({ name: 'agent_version', type: 'integer', nullable: true })
  agentVersion!: number | null;

  /** True once its user changed the answer's text (PUT /api/messages/:conversationId/:messageId). */
  @Column({ type: 'boolean', default: false })
  edited?: boolean;

  /** The user's rating of an answer; the other feedback columns are null without one. */
  @Column({ name: 'feedback_rating', type: 'varchar', length: 16, nullable: true })
  feedbackRating?: FeedbackRating | null;

  @Column({ name: 'feedback_tag', type: 'varchar', length: 64, nullable: true })
  feedbackTag?: FeedbackTag | null;

  @Column({ name: 'feedback_text', type: 'varchar', length: 1000, nullable: true })
  feedbackText?: string | null;

  @Column({ name: 'feedback_at', type: 'timestamptz', precision: 3, nullable: true })
  feedbackAt?: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
