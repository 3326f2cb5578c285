import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsMessageContent, IsStopSequences, Unsupported } from '../openai-validators';

/** Bounds of a request: the 1 MiB body limit applies on top. */
export const MAX_MESSAGES = 1000;
export const MAX_MESSAGE_CHARS = 200_000;

export class ChatCompletionMessageDto {
  /**
   * `system`/`developer` text is appended to the agent's instructions; `user` and `assistant`
   * turns are the conversation. Client-side tool results (`tool`, `function`) are not accepted:
   * the agent's own tools run on the server.
   * @example "user"
   */
  @IsIn(['system', 'developer', 'user', 'assistant'], {
    message: "$property must be one of 'system', 'developer', 'user' or 'assistant'",
  })
  role!: 'system' | 'developer' | 'user' | 'assistant';

  /** A string, or text parts `[{"type": "text", "text": "…"}]`. @example "What is 6 x 7?" */
  @ApiProperty({
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: { type: 'object', properties: { type: { enum: ['text'] }, text: { type: 'string' } } },
      },
    ],
  })
  @IsMessageContent(MAX_MESSAGE_CHARS)
  content!: string | { type: 'text'; text: string }[];

  /** An optional participant name. @example "alice" */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  name?: string;
}

export class StreamOptionsDto {
  /** Send one usage chunk (with `choices: []`) just before `data: [DONE]`. @example true */
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

/**
 * OpenAI's chat-completions request (docs/http-api.md § OpenAI-compatible API). `model` is an agent
 * id the caller may USE; the agent's provider, model, instructions, parameters and tools apply, and
 * the sampling parameters here override the agent's within the same bounds.
 */
export class ChatCompletionRequestDto {
  /** The agent id. @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  @IsString()
  @MaxLength(64)
  model!: string;

  /** The conversation, oldest first. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MESSAGES)
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageDto)
  messages!: ChatCompletionMessageDto[];

  /** Stream `chat.completion.chunk` frames as Server-Sent Events. @example false */
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  /** 0..2; overrides the agent's. @example 0.7 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  /** 0..1; overrides the agent's. @example 1 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  top_p?: number;

  /** 1..1,000,000; overrides the agent's. @example 512 */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_tokens?: number;

  /** The newer name of max_tokens; wins when both are given. @example 512 */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_completion_tokens?: number;

  /** -2..2. @example 0 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  /** -2..2. @example 0 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  /** Up to 4 stop sequences. @example ["\n\nUser:"] */
  @ApiProperty({ required: false, oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  @IsOptional()
  @IsStopSequences(4, 256)
  stop?: string | string[];

  /** For reasoning models. @example "low" */
  @IsOptional()
  @IsIn(['minimal', 'low', 'medium', 'high'])
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high';

  /** An end-user id for the caller's own tracking; accepted and not used. @example "user-1234" */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;

  /** Only 1: one answer per request. @example 1 */
  @Unsupported('only n = 1 is supported', (v) => v === 1 || v === null)
  n?: number;

  /** Only `{"type": "text"}`. */
  @Unsupported(
    'only {"type": "text"} is supported',
    (v) =>
      v === null || (typeof v === 'object' && (v as { type?: unknown }).type === 'text' && Object.keys(v).length === 1),
  )
  response_format?: { type: string };

  /** Not supported: the agent's own tools run on the server; client-side tools are not offered to it. */
  @Unsupported("client-side tools are not supported; the agent's own tools run on the server", (v) =>
    Array.isArray(v) ? v.length === 0 : v === null,
  )
  tools?: unknown[];

  /** Not supported (no client-side tools). */
  @Unsupported("client-side tools are not supported; the agent's own tools run on the server", (v) => v === null)
  tool_choice?: unknown;

  /** Not supported (no client-side tools). */
  @Unsupported("client-side tools are not supported; the agent's own tools run on the server", (v) => v === null)
  parallel_tool_calls?: unknown;

  /** Not supported (the deprecated form of client-side tools). */
  @Unsupported("client-side functions are not supported; the agent's own tools run on the server", (v) =>
    Array.isArray(v) ? v.length === 0 : v === null,
  )
  functions?: unknown[];

  /** Not supported (the deprecated form of client-side tools). */
  @Unsupported("client-side functions are not supported; the agent's own tools run on the server", (v) => v === null)
  function_call?: unknown;

  /** Not supported: providers' log probabilities are not passed through. */
  @Unsupported('logprobs are not supported', (v) => v === false || v === null)
  logprobs?: boolean;

  /** Not supported (no logprobs). */
  @Unsupported('logprobs are not supported', (v) => v === null)
  top_logprobs?: number;

  /** Not supported. */
  @Unsupported('logit_bias is not supported', (v) => v === null)
  logit_bias?: Record<string, number>;

  /** Not supported. */
  @Unsupported('seed is not supported', (v) => v === null)
  seed?: number;

  /** Not supported: only text answers. */
  @Unsupported('only text output is supported', (v) => Array.isArray(v) && v.length === 1 && v[0] === 'text')
  modalities?: string[];

  /** Not supported: only text output. */
  @Unsupported('audio output is not supported', (v) => v === null)
  audio?: unknown;

  /** Not supported: completions are not stored (use the Responses API with `store`). */
  @Unsupported(
    'store is not supported here; use POST /api/agents/v1/responses with store',
    (v) => v === false || v === null,
  )
  store?: boolean;
}
