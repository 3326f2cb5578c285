import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { AGENT_ID_PATTERN, OptionalNotNull } from '@agents/core';

/** An idempotency key: 1..255 printable ASCII characters, no spaces. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;

export class ChatFileDto {
  /** @example "5f0c7d2e-8a4b-4c1d-9e3f-1a2b3c4d5e6f" */
  @IsUUID('all')
  file_id!: string;
}

export class StartChatDto {
  /** The agent to chat with (needs USE). @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  @IsString()
  @Matches(AGENT_ID_PATTERN, { message: 'agent_id must be an agent id (agent_ + 21 characters)' })
  agent_id!: string;

  /** The user's message, 1..100,000 characters. @example "What is our leave policy?" */
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  text!: string;

  /** "new" (or omitted) starts a conversation; a UUID continues one of the caller's. @example "new" */
  @OptionalNotNull()
  @IsString()
  @Matches(/^(new|[0-9a-fA-F-]{36})$/, { message: 'conversationId must be "new" or a UUID' })
  conversationId?: string;

  /** The message to reply under; defaults to the conversation's latest message. */
  @OptionalNotNull()
  @IsUUID('all')
  parentMessageId?: string;

  /** An id for the user message, chosen by the client; one that is already in use is a 409. */
  @OptionalNotNull()
  @IsUUID('all')
  messageId?: string;

  /** Attached files, at most 10. */
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
}

export class StartChatResponseDto {
  /** Equals the conversation id. @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  streamId!: string;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  conversationId!: string;
  /** @example "started" */
  status!: 'started';
  /** @example "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" */
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

export class GenerationStatusDto {
  /** Whether a generation is running now. @example true */
  active!: boolean;
  /** @example "3f0e7a52-1c2b-4d5e-8f90-a1b2c3d4e5f6" */
  streamId?: string;
  /** @example "running" */
  status?: 'running' | 'completed' | 'failed' | 'aborted';
  /** The answer's text so far. @example "Our leave policy" */
  aggregatedContent?: string;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt?: string;
  /** What a client needs to pick the stream up again. */
  resumeState?: { conversationId: string; userMessageId: string; responseMessageId: string; aggregatedContent: string };
}
