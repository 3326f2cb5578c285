import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';
import { AGENT_ID_PATTERN, OptionalNotNull } from '@agents/core';
import type { ContentPart, MessageAttachment } from '../message.entity';
import { ChatMessageDto } from './conversation.dto';

/** An idempotency key: 1..255 printable ASCII characters, no spaces. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;

/** LibreChat's `Constants.NO_PARENT`: the message has no parent, it starts the conversation's thread. */
export const NO_PARENT_MESSAGE_ID = '00000000-0000-0000-0000-000000000000';

const NOT_SUPPORTED = (what: string): { message: string } => ({
  message: `${what} is not supported; send the text as a new message instead`,
});

/** `isEdited` and `editedContent`: LibreChat's edit of an answer in place, which has its own route here. */
const ANSWER_EDIT_NOT_SUPPORTED = (what: string): { message: string } => ({
  message:
    `${what} is not supported here: change an answer's text with PUT /api/messages/:conversationId/:messageId, ` +
    "or send an edited question as a new message under the original's parentMessageId",
});

/** A field that only means something when regenerating (`isRegenerate: true`). */
const OnlyWhenRegenerating = (): PropertyDecorator =>
  ValidateBy({
    name: 'onlyWhenRegenerating',
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) =>
        (args?.object as { isRegenerate?: unknown } | undefined)?.isRegenerate === true,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property ?? 'this field'} names the message to answer again: it needs isRegenerate: true`,
    },
  });

export class ChatFileDto {
  /** @example "5f0c7d2e-8a4b-4c1d-9e3f-1a2b3c4d5e6f" */
  @IsUUID('all')
  file_id!: string;

  /** What LibreChat's client also sends about the file; accepted and ignored (the stored file is used). */
  @OptionalNotNull()
  @IsString()
  @MaxLength(2048)
  filepath?: string;

  /** Accepted and ignored, like `filepath`. @example "image/png" */
  @OptionalNotNull()
  @IsString()
  @MaxLength(256)
  type?: string;

  /** Accepted and ignored, like `filepath`. @example 512 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  height?: number | null;

  /** Accepted and ignored, like `filepath`. @example 512 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  width?: number | null;
}

/**
 * LibreChat's settings for an agent made up on the fly (no saved agent). This service chats with
 * saved agents only; as LibreChat does for a saved agent, it uses the agent's own tools and ignores these.
 */
export class EphemeralAgentDto {
  /** MCP servers to enable, at most 64. */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  mcp?: string[];

  /** @example false */
  @OptionalNotNull()
  @IsBoolean()
  web_search?: boolean;

  /** @example false */
  @OptionalNotNull()
  @IsBoolean()
  file_search?: boolean;

  /** @example false */
  @OptionalNotNull()
  @IsBoolean()
  execute_code?: boolean;

  /** @example "" */
  @OptionalNotNull()
  @IsString()
  @MaxLength(16)
  artifacts?: string;
}

export class StartChatDto {
  /** The agent to chat with (needs USE). @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  @IsString()
  @Matches(AGENT_ID_PATTERN, { message: 'agent_id must be an agent id (agent_ + 21 characters)' })
  agent_id!: string;

  /**
   * The user's message, 1..100,000 characters. When regenerating, the stored message is answered
   * again and this text is not used. @example "What is our leave policy?"
   */
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  text!: string;

  /**
   * "new", null (what LibreChat's client sends) or omitted starts a conversation; a UUID continues
   * one of the caller's. @example "new"
   */
  @IsOptional()
  @IsString()
  @Matches(/^(new|[0-9a-fA-F-]{36})$/, { message: 'conversationId must be "new", null or a UUID' })
  conversationId?: string | null;

  /**
   * The message to reply under; defaults to the conversation's latest message. The all-zeros UUID
   * (LibreChat's "no parent") makes the message a root: the start of a new thread, with no earlier
   * messages as its context. Naming the parent of an earlier message edits that message: the new one
   * is its sibling, and the answer hears the thread up to the parent only. With `isRegenerate` and
   * no `overrideParentMessageId`, the user message to answer again.
   */
  @OptionalNotNull()
  @IsUUID('all')
  parentMessageId?: string;

  /**
   * An id for the user message, chosen by the client; one that is already in use is a 409. Not used
   * when regenerating (no user message is stored).
   */
  @OptionalNotNull()
  @IsUUID('all')
  messageId?: string;

  /**
   * Files to attach, at most 10, each one of the caller's (a 400 names any other `files[i].file_id`).
   * They join the conversation, where its tools (file_search, code_interpreter) find them; the
   * model is shown the images (PNG, JPEG, GIF, WebP up to 5 MB) and small text files with the message.
   * Not used when regenerating: the stored message keeps the files it was sent with.
   */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => ChatFileDto)
  files?: ChatFileDto[];

  /**
   * Makes a retried send safe, like the `Idempotency-Key` header: the same id within 24 hours
   * returns the original answer. 1..255 printable ASCII characters.
   */
  @OptionalNotNull()
  @IsString()
  @Matches(IDEMPOTENCY_KEY_PATTERN, { message: 'clientRequestId must be 1..255 printable ASCII characters' })
  clientRequestId?: string;

  // What LibreChat's web client sends besides: accepted when it changes nothing here, refused with a
  // 400 naming the field when it asks for something this service does not do (editing an answer in
  // place, continuing an answer, temporary chats).

  /** LibreChat's endpoint name; accepted and ignored (this route is the agents endpoint). @example "agents" */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  endpoint?: string;

  /** Accepted and ignored. @example "agents" */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  endpointType?: string | null;

  /** Accepted and ignored: the agent's own model answers. @example "gpt-4o" */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  model?: string | null;

  /** LibreChat's user-key expiry; accepted and ignored (providers use the server's keys). @example "2026-11-29T13:00:00.000Z" */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  key?: string | null;

  /** Accepted and ignored: a stored user message's sender is always "User". @example "User" */
  @OptionalNotNull()
  @IsString()
  @MaxLength(256)
  sender?: string;

  /** Only `true` (a user's message). @example true */
  @OptionalNotNull()
  @IsBoolean()
  @Equals(true, { message: 'isCreatedByUser must be true: this route takes user messages' })
  isCreatedByUser?: boolean;

  /** The client's local time; accepted and ignored (the server's clock dates messages). @example "2026-11-29T13:00:00" */
  @OptionalNotNull()
  @IsString()
  @MaxLength(64)
  clientTimestamp?: string;

  /** Only `false`. @example false */
  @OptionalNotNull()
  @IsBoolean()
  @Equals(false, { message: 'error must be false' })
  error?: boolean;

  /** The text of the client's latest message, used by LibreChat only to continue an answer; accepted and ignored. */
  @IsOptional()
  @IsString()
  @MaxLength(1_048_576)
  generation?: string | null;

  /**
   * The client's latest message id, used by LibreChat only to continue an answer; accepted and
   * ignored (the answer gets a new id, returned as `responseMessageId`).
   */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  responseMessageId?: string | null;

  /**
   * With `isRegenerate: true`, the user message to answer again (what LibreChat's client sends; its
   * `parentMessageId` then names that message's parent and is not used). Null or absent otherwise.
   */
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID('all')
  @OnlyWhenRegenerating()
  overrideParentMessageId?: string | null;

  /**
   * `true` answers a user message of the conversation again, without storing a new one: the new
   * answer is a sibling of its earlier answers. Needs `conversationId`, and names the message in
   * `overrideParentMessageId` or, without it, in `parentMessageId`. @example false
   */
  @OptionalNotNull()
  @IsBoolean()
  isRegenerate?: boolean;

  /**
   * Only `false`: LibreChat's edit of an answer in place (use `PUT /api/messages/…`); an edited
   * question is a new message under the original's parent. @example false
   */
  @OptionalNotNull()
  @IsBoolean()
  @Equals(false, ANSWER_EDIT_NOT_SUPPORTED('editing an answer through chat (isEdited)'))
  isEdited?: boolean;

  /** Only `false`: continuing an answer is not supported. @example false */
  @OptionalNotNull()
  @IsBoolean()
  @Equals(false, NOT_SUPPORTED('continuing an answer'))
  isContinued?: boolean;

  /** Only `false`: temporary (unsaved) chats are not supported. @example false */
  @OptionalNotNull()
  @IsBoolean()
  @Equals(false, NOT_SUPPORTED('a temporary chat'))
  isTemporary?: boolean;

  /** Only null: edited content belongs to LibreChat's edit of an answer in place, which has its own route. */
  @ApiPropertyOptional({
    type: Object,
    nullable: true,
    description: 'Only null (answers are edited with PUT /api/messages)',
  })
  @IsOptional()
  @Equals(null, ANSWER_EDIT_NOT_SUPPORTED('editing an answer through chat (editedContent)'))
  editedContent?: null;

  /** LibreChat's settings for an unsaved agent; accepted and ignored (the saved agent's tools apply). */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EphemeralAgentDto)
  ephemeralAgent?: EphemeralAgentDto | null;
}

export class StartChatResponseDto {
  /** Equals the conversation id. @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  streamId!: string;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  conversationId!: string;
  /** @example "started" */
  status!: 'started';
  /**
   * The user message being answered: the one this request stored, or, when regenerating, the
   * existing one. @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
   */
  userMessageId!: string;
  /** @example "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed" */
  responseMessageId!: string;
}

/** What a browser needs to open a stream with its native `EventSource` (which cannot send Authorization). */
export class StreamTicketDto {
  /**
   * The stream's absolute URL with a ticket for this stream only, valid for 5 minutes (reconnects
   * included): `new EventSource(streamUrl)`.
   * @example "https://agents.example.com/api/agents/chat/stream/3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6?ticket=…"
   */
  streamUrl!: string;
  /** @example "2026-11-30T16:05:00.000Z" */
  ticketExpiresAt!: string;
}

/** The start answer, with a stream URL carrying a fresh ticket (it is not part of what an idempotent retry replays). */
export class StartChatResultDto extends StartChatResponseDto {
  /** @example "http://localhost:3080/api/agents/chat/stream/3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6?ticket=…" */
  streamUrl!: string;
  /** @example "2026-11-30T16:05:00.000Z" */
  ticketExpiresAt!: string;
}

export class AbortChatDto {
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  @OptionalNotNull()
  @IsUUID('all')
  streamId?: string;

  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  @OptionalNotNull()
  @IsUUID('all')
  conversationId?: string;

  /** LibreChat's alternative identifier: `<conversationId>:<anything>`. */
  @OptionalNotNull()
  @IsString()
  @MaxLength(200)
  abortKey?: string;
}

export class AbortChatResponseDto {
  /** @example true */
  success!: true;
  /** The stream that was told to stop. @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  aborted!: string;
}

export class ActiveJobsDto {
  /** The caller's running generations (stream ids). */
  activeJobIds!: string[];
}

/** Where an answer stands: the `resumeState` of a `resume=true` stream's sync frame (docs/http-api.md § Streams). */
export class ResumeStateDto {
  /** The run steps so far, as their `on_run_step` events carried them. */
  runSteps!: Record<string, unknown>[];
  /** The answer so far as content parts, in order. @example [{"type": "think", "think": "The user asks…"}, {"type": "text", "text": "Our leave policy"}] */
  aggregatedContent!: ContentPart[];
  /** The tools' citations, images and resources so far, as their `attachment` events carried them. @example [] */
  attachments!: MessageAttachment[];
  /** The message being answered; null when it can no longer be read. */
  userMessage!: ChatMessageDto | null;
  /** @example "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed" */
  responseMessageId!: string | null;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  conversationId!: string;
  /**
   * The title generated for a new conversation, once the stream's `title` event is out; absent
   * otherwise. @example "Leave policy for part-time staff"
   */
  title?: string;
}

export class GenerationStatusDto {
  /** Whether a generation is running now. @example true */
  active!: boolean;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  streamId?: string;
  /** @example "running" */
  status?: 'running' | 'completed' | 'failed' | 'aborted';
  /**
   * The answer so far as content parts, as LibreChat renders them (text, reasoning as `think`,
   * tool calls). @example [{"type": "text", "text": "Our leave policy"}]
   */
  aggregatedContent?: ContentPart[];
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt?: string;
  /** What a client needs to redraw the answer and pick the stream up again. */
  resumeState?: ResumeStateDto;
}
