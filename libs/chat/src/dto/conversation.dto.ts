import type { ConversationEntity } from '../conversation.entity';
import type { ContentPart, FeedbackRating, FeedbackTag, MessageAttachment, MessageEntity } from '../message.entity';

export class ConversationDto {
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  conversationId!: string;
  /** @example "New Chat" */
  title!: string;
  /** @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  agent_id!: string;
  /** Archived conversations are listed only with `isArchived=true`. @example false */
  isArchived!: boolean;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /** The last message's time: renaming or archiving leaves it. @example "2026-11-29T12:05:00.000Z" */
  updatedAt!: string;

  static from(c: ConversationEntity): ConversationDto {
    return {
      conversationId: c.id,
      title: c.title,
      agent_id: c.agentId,
      isArchived: c.isArchived ?? false,
      createdAt: c.createdAt.toISOString(),
      updatedAt: c.updatedAt.toISOString(),
    };
  }
}

export class ConversationListDto {
  /** @example "list" */
  object!: 'list';
  data!: ConversationDto[];
  first_id!: string | null;
  last_id!: string | null;
  has_more!: boolean;
  /** Pass as `cursor` for the next page. */
  after!: string | null;
}

/** A file the user attached to a message. */
export class MessageFileDto {
  /** @example "5f0c7d2e-8a4b-4c1d-9e3f-1a2b3c4d5e6f" */
  file_id!: string;
  /** @example "chart.png" */
  filename!: string;
  /** The file's MIME type. @example "image/png" */
  type!: string;
  /** @example 48213 */
  bytes!: number;
}

/** What an answer used, as its provider reported it. */
export class MessageUsageDto {
  /** Prompt tokens, cached ones included. @example 1200 */
  promptTokens!: number | null;
  /** Completion tokens, reasoning ones included. @example 240 */
  completionTokens!: number | null;
  /** Completion tokens spent reasoning, when the provider says. @example 0 */
  reasoningTokens!: number | null;
  /** Prompt tokens read from the provider's cache, when the provider says. @example 0 */
  cachedTokens!: number | null;
}

/** A user's rating of an answer. */
export class MessageFeedbackDto {
  /** @example "thumbsDown" */
  rating!: FeedbackRating;
  /** The reason given, one of the rating's tags. @example "inaccurate" */
  tag!: FeedbackTag | null;
  /** @example "The policy changed in 2025." */
  text!: string | null;
  /** @example "2026-11-29T12:06:00.000Z" */
  updatedAt!: string;

  static from(msg: MessageEntity): MessageFeedbackDto | null {
    if (!msg.feedbackRating || !msg.feedbackAt) return null;
    return {
      rating: msg.feedbackRating,
      tag: msg.feedbackTag ?? null,
      text: msg.feedbackText ?? null,
      updatedAt: msg.feedbackAt.toISOString(),
    };
  }
}

export class ChatMessageDto {
  /** @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" */
  messageId!: string;
  /** Null for the first message of a conversation. */
  parentMessageId!: string | null;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  conversationId!: string;
  /** "User" or the agent's name. @example "User" */
  sender!: string;
  /** @example true */
  isCreatedByUser!: boolean;
  /** @example "What is our leave policy?" */
  text!: string;
  /** Structured parts (text, reasoning, tool calls). @example [{"type": "text", "text": "What is our leave policy?"}] */
  content!: ContentPart[];
  /**
   * What the answer's tools handed the user (web search citations, images, resources), each with
   * the `toolCallId` it came from. @example []
   */
  attachments!: MessageAttachment[];
  /** The files the user attached to the message (`files` of the chat start). @example [] */
  files!: MessageFileDto[];
  /** True when the generation was aborted or failed before it finished. @example false */
  unfinished!: boolean;
  /** @example false */
  error!: boolean;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /** The answer's provider, model and agent version (null on the user's messages). @example "openai" */
  provider!: string | null;
  /** @example "gpt-4o-mini" */
  model!: string | null;
  /** @example 3 */
  agentVersion!: number | null;
  /** The answer's token counts; null on the user's messages and answers that never reached a provider. */
  usage!: MessageUsageDto | null;
  /** True once its user changed the answer's text. @example false */
  edited!: boolean;
  /** The user's rating of the answer; null when none (and on the user's messages). */
  feedback!: MessageFeedbackDto | null;

  static from(msg: MessageEntity): ChatMessageDto {
    return {
      messageId: msg.id,
      parentMessageId: msg.parentMessageId,
      conversationId: msg.conversationId,
      sender: msg.sender,
      isCreatedByUser: msg.isCreatedByUser,
      text: msg.text,
      content: msg.content,
      attachments: msg.attachments ?? [],
      files: msg.files ?? [],
      unfinished: msg.unfinished,
      error: msg.error,
      createdAt: msg.createdAt.toISOString(),
      provider: msg.provider ?? null,
      model: msg.model,
      agentVersion: msg.agentVersion ?? null,
      usage:
        msg.promptTokens === null && msg.completionTokens === null
          ? null
          : {
              promptTokens: msg.promptTokens,
              completionTokens: msg.completionTokens,
              reasoningTokens: msg.reasoningTokens ?? null,
              cachedTokens: msg.cachedTokens ?? null,
            },
      edited: msg.edited ?? false,
      feedback: MessageFeedbackDto.from(msg),
    };
  }
}
