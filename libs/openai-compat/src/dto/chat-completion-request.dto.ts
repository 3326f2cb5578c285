import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
import { IsMessageContent, IsMetadata, IsStopSequences, Unsupported, isRecord, oneOf } from '../openai-validators';
import {
  PromptCacheOptionsDto,
  REASONING_EFFORTS,
  SERVICE_TIERS,
  VERBOSITIES,
  type ReasoningEffort,
  type ServiceTier,
  type Verbosity,
} from './shared-parameters.dto';

/** Bounds of a request: the 1 MiB body limit applies on top. */
export const MAX_MESSAGES = 1000;
export const MAX_MESSAGE_CHARS = 200_000;

/** A part of a message's content: text, or (user messages) an image as a `data:` URL. */
export type ChatCompletionContentPart =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } };

export class ToolCallFunctionDto {
  /** @example "calculator" */
  @IsString()
  @MaxLength(256)
  name!: string;

  /** The call's JSON arguments, as text. @example "{\"expression\": \"6*7\"}" */
  @IsString()
  @MaxLength(MAX_MESSAGE_CHARS)
  arguments!: string;
}

/** A tool call as a returned assistant message carries it. */
export class ChatCompletionMessageToolCallDto {
  /** @example "call_abc123" */
  @IsString()
  @MaxLength(256)
  id!: string;

  /** @example "function" */
  @IsIn(['function'])
  type!: 'function';

  @IsObject()
  @ValidateNested()
  @Type(() => ToolCallFunctionDto)
  function!: ToolCallFunctionDto;
}

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

  /**
   * A string, or text parts `[{"type": "text", "text": "…"}]`; `null` on an assistant message (as
   * in a returned `choices[0].message` that carries a refusal or tool calls). A user message may
   * also carry images, `{"type": "image_url", "image_url": {"url": "data:image/png;base64,…"}}`:
   * base64 `data:` URLs only (image URLs are not fetched), PNG, JPEG, GIF or WebP of at most 5 MB,
   * at most 10 in a request. @example "What is 6 x 7?"
   */
  @ApiProperty({
    nullable: true,
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          oneOf: [
            { type: 'object', properties: { type: { enum: ['text'] }, text: { type: 'string' } } },
            {
              type: 'object',
              properties: {
                type: { enum: ['image_url'] },
                image_url: {
                  type: 'object',
                  properties: { url: { type: 'string' }, detail: { enum: ['auto', 'low', 'high'] } },
                  required: ['url'],
                },
              },
            },
          ],
        },
      },
    ],
  })
  @IsMessageContent(MAX_MESSAGE_CHARS)
  content!: string | ChatCompletionContentPart[] | null;

  /** An optional participant name. @example "alice" */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  name?: string;

  /**
   * An assistant's refusal, as a returned message carries it (`null` when there is none); stands
   * for the turn's text when `content` is null. @example null
   */
  @IsOptional()
  @IsString()
  @MaxLength(MAX_MESSAGE_CHARS)
  refusal?: string | null;

  /** A returned message's annotations (e.g. URL citations): accepted so it can be sent back, and not used. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  annotations?: unknown[] | null;

  /**
   * Tool calls of an assistant message. This service returns none (the agent's tools run on the
   * server and only the answer's text is sent), but a message from another gateway, or an earlier
   * answer, may carry some: accepted so it can be sent back; the turn's text is what the model is
   * given again.
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageToolCallDto)
  tool_calls?: ChatCompletionMessageToolCallDto[] | null;

  /** Only null: audio answers are never produced, so there is none to refer to. */
  @ApiPropertyOptional({ type: Object, nullable: true, description: 'Only null (audio is not supported)' })
  @Unsupported('audio is not supported', (v) => v === null)
  audio?: null;

  /** Only null (the deprecated form of tool calls; the service returns none). */
  @ApiPropertyOptional({
    type: Object,
    nullable: true,
    description: 'Only null (client-side functions are not supported)',
  })
  @Unsupported("client-side functions are not supported; the agent's own tools run on the server", (v) => v === null)
  function_call?: null;
}

export class StreamOptionsDto {
  /** Send one usage chunk (with `choices: []`) just before `data: [DONE]`. @example true */
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;

  /**
   * OpenAI pads stream chunks with random `obfuscation` text against length side channels; this
   * service does not pad, and the answer is the same either way. Accepted and not used. @example false
   */
  @IsOptional()
  @IsBoolean()
  include_obfuscation?: boolean;
}

export class PredictionDto {
  /** @example "content" */
  @IsIn(['content'])
  type!: 'content';

  /** The text the answer is expected to resemble. @example "const x = 1;" */
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }] })
  @IsMessageContent(MAX_MESSAGE_CHARS)
  content!: string | { type: 'text'; text: string }[];
}

/**
 * OpenAI's chat-completions request (docs/http-api.md § OpenAI-compatible API). `model` is an agent
 * id the caller may USE; the agent's provider, model, instructions, parameters and tools apply, and
 * the sampling parameters here override the agent's within the same bounds.
 */
export class ChatCompletionRequestDto {
  /**
   * The agent id, or an agent's name when exactly one of the agents the caller may use has it
   * (exact case first, then any case). @example "agent_V1StGXR8_Z5jdHi6B-myT"
   */
  @IsString()
  @MaxLength(256)
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

  /** For reasoning models; passed to the provider. @example "low" */
  @IsOptional()
  @IsIn(REASONING_EFFORTS)
  reasoning_effort?: ReasoningEffort;

  /** How long the answer should be; passed to the provider (OpenAI's GPT-5 models honour it). @example "low" */
  @IsOptional()
  @IsIn(VERBOSITIES)
  verbosity?: Verbosity;

  /** An end-user id for the caller's own tracking; accepted and not used. @example "user-1234" */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;

  /** The caller's end-user id for OpenAI's abuse detection; accepted and not used. @example "user-1234" */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  safety_identifier?: string;

  /** Up to 16 string pairs; completions are not stored, so they are accepted and not used. @example {"team": "support"} */
  @IsOptional()
  @IsMetadata()
  metadata?: Record<string, string>;

  /** OpenAI's prompt-cache routing key; caching never changes an answer: accepted and not used. @example "faq-bot" */
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  prompt_cache_key?: string;

  /** Accepted and not used (prompt caching). @example "in_memory" */
  @IsOptional()
  @IsIn(['in_memory', '24h'])
  prompt_cache_retention?: 'in_memory' | '24h';

  /** Accepted and not used (prompt caching). */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PromptCacheOptionsDto)
  prompt_cache_options?: PromptCacheOptionsDto;

  /** Any of OpenAI's tiers; every request is processed alike and `service_tier: "default"` is echoed. @example "auto" */
  @IsOptional()
  @IsIn(SERVICE_TIERS)
  service_tier?: ServiceTier;

  /**
   * Predicted output: it only lets OpenAI answer faster when the answer resembles it, never
   * changes what the answer says. Accepted and not used.
   */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PredictionDto)
  prediction?: PredictionDto;

  /** Only 1: one answer per request. @example 1 */
  @Unsupported('only n = 1 is supported', (v) => v === 1 || v === null)
  n?: number;

  /** Only `{"type": "text"}`. */
  @Unsupported(
    'only {"type": "text"} is supported',
    (v) => v === null || (isRecord(v) && v.type === 'text' && Object.keys(v).length === 1),
  )
  response_format?: { type: string };

  /** Not supported: the agent's own tools run on the server; client-side tools are not offered to it. */
  @Unsupported("client-side tools are not supported; the agent's own tools run on the server", (v) =>
    Array.isArray(v) ? v.length === 0 : v === null,
  )
  tools?: unknown[];

  /**
   * `auto` or `none`: with no client-side tools in the request there is nothing for either to
   * change. Forcing a tool (`required`, a named one) is not supported.
   */
  @Unsupported(
    "client-side tools are not supported; the agent's own tools run on the server",
    oneOf(null, 'auto', 'none'),
  )
  tool_choice?: 'auto' | 'none' | null;

  /** Accepted: with no client-side tools there are no calls to run in parallel. @example true */
  @IsOptional()
  @IsBoolean()
  parallel_tool_calls?: boolean;

  /** Not supported (the deprecated form of client-side tools). */
  @Unsupported("client-side functions are not supported; the agent's own tools run on the server", (v) =>
    Array.isArray(v) ? v.length === 0 : v === null,
  )
  functions?: unknown[];

  /** `auto` or `none` (the deprecated tool_choice): with no client-side functions, nothing to change. */
  @Unsupported(
    "client-side functions are not supported; the agent's own tools run on the server",
    oneOf(null, 'auto', 'none'),
  )
  function_call?: 'auto' | 'none' | null;

  /** Not supported: providers' log probabilities are not passed through. */
  @Unsupported('logprobs are not supported', (v) => v === false || v === null)
  logprobs?: boolean;

  /** Only 0 (no logprobs). */
  @Unsupported('logprobs are not supported', (v) => v === null || v === 0)
  top_logprobs?: number;

  /** Only empty: biasing tokens is not supported (and `{}` biases none). */
  @Unsupported('logit_bias is not supported', (v) => v === null || (isRecord(v) && Object.keys(v).length === 0))
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

  /** Not supported: moderating the request and answer is not offered here. */
  @Unsupported('moderation is not supported', (v) => v === null)
  moderation?: unknown;

  /** Not supported: the agent's own tools (web_search among them) decide about searching. */
  @Unsupported("web_search_options is not supported; the agent's own tools run on the server", (v) => v === null)
  web_search_options?: unknown;

  /** Not supported: completions are not stored (use the Responses API with `store`). */
  @Unsupported(
    'store is not supported here; use POST /api/agents/v1/responses with store',
    (v) => v === false || v === null,
  )
  store?: boolean;
}
