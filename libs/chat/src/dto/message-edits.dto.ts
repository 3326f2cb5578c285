import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { OptionalNotNull } from '@agents/core';
import { FEEDBACK_RATINGS, FEEDBACK_TAGS, type FeedbackRating, type FeedbackTag } from '../message.entity';
import { MessageFeedbackDto } from './conversation.dto';

/** The longest text an edited answer may have, in characters. */
export const MAX_EDITED_TEXT_LENGTH = 200_000;
/** The longest comment a rating may carry, in characters. */
export const MAX_FEEDBACK_TEXT_LENGTH = 1000;

/** `PUT /api/messages/:conversationId/:messageId`: an answer's new text. */
export class EditMessageDto {
  /** The answer's whole new text, 1..200,000 characters. @example "Our leave policy gives 25 days a year." */
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_EDITED_TEXT_LENGTH)
  text!: string;
}

/** `PUT /api/messages/:conversationId/:messageId/feedback`: the caller's rating of an answer. */
export class SetFeedbackDto {
  /** @example "thumbsDown" */
  @IsIn(FEEDBACK_RATINGS, { message: 'rating must be thumbsUp or thumbsDown' })
  rating!: FeedbackRating;

  /**
   * Why, one of the rating's reasons (LibreChat's): for `thumbsDown` `not_matched`, `inaccurate`,
   * `bad_style`, `missing_image`, `unjustified_refusal`, `not_helpful`, `other`; for `thumbsUp`
   * `accurate_reliable`, `creative_solution`, `clear_well_written`, `attention_to_detail`.
   * @example "inaccurate"
   */
  @OptionalNotNull()
  @IsIn(Object.keys(FEEDBACK_TAGS), { message: 'tag must be one of the feedback tags' })
  tag?: FeedbackTag;

  /** A comment, at most 1,000 characters. @example "The policy changed in 2025." */
  @OptionalNotNull()
  @IsString()
  @MaxLength(MAX_FEEDBACK_TEXT_LENGTH)
  text?: string;
}

/** The answer to a rating, as LibreChat's client reads it. */
export class MessageFeedbackResultDto {
  /** @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" */
  messageId!: string;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  conversationId!: string;
  feedback!: MessageFeedbackDto;
}

/** How often one reason was given. */
export class FeedbackTagCountDto {
  /** @example "inaccurate" */
  tag!: FeedbackTag;
  /** @example 3 */
  count!: number;
}

/** The ratings of one agent version's answers. */
export class AgentVersionFeedbackDto {
  /** Null for answers stored before answers recorded their version. @example 2 */
  agentVersion!: number | null;
  /** @example 14 */
  thumbsUp!: number;
  /** @example 3 */
  thumbsDown!: number;
  /** The reasons given, most frequent first. */
  tags!: FeedbackTagCountDto[];
}

/** `GET /api/agents/:id/feedback`: counts only, never who rated or what they wrote. */
export class AgentFeedbackDto {
  /** @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  agentId!: string;
  /** @example 17 */
  thumbsUp!: number;
  /** @example 4 */
  thumbsDown!: number;
  /** Per agent version, oldest first. */
  versions!: AgentVersionFeedbackDto[];
}
