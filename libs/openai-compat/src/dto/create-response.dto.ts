import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
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
import { IsMetadata, Unsupported, isRecord, oneOf } from '../openai-validators';
import {
  PromptCacheOptionsDto,
  REASONING_EFFORTS,
  SERVICE_TIERS,
  VERBOSITIES,
  type ReasoningEffort,
  type ServiceTier,
  type Verbosity,
} from './shared-parameters.dto';

/** The include values OpenAI defines; each adds data to items this service does not output, or sends anyway, but one. */
export const INCLUDE_VALUES = [
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'message.input_image.image_url',
  'computer_call_output.output.image_url',
  'code_interpreter_call.outputs',
  'reasoning.encrypted_content',
  'message.output_text.logprobs',
] as const;

export class ReasoningDto {
  /** Passed to the provider. @example "low" */
  @IsOptional()
  @IsIn(REASONING_EFFORTS)
  effort?: ReasoningEffort | null;

  /**
   * A summary of the model's reasoning as output items. No reasoning items are output here, as
   * OpenAI outputs none for models that do not reason: accepted and not used. @example "auto"
   */
  @IsOptional()
  @IsIn(['auto', 'concise', 'detailed'])
  summary?: 'auto' | 'concise' | 'detailed' | null;

  /** The deprecated name of `summary`. @example "auto" */
  @IsOptional()
  @IsIn(['auto', 'concise', 'detailed'])
  generate_summary?: 'auto' | 'concise' | 'detailed' | null;

  /** Which earlier reasoning items the model sees; there are none here. Accepted and not used. @example "auto" */
  @IsOptional()
  @IsIn(['auto', 'current_turn', 'all_turns'])
  context?: 'auto' | 'current_turn' | 'all_turns' | null;

  /** Only `standard`: more reasoning compute (`pro`) cannot be asked of the providers. */
  @Unsupported('only the standard reasoning mode is supported', oneOf(null, 'standard'))
  mode?: 'standard' | null;
}

/** `text`: only plain text out, at a verbosity passed to the provider. */
export class TextConfigDto {
  /** Only `{"type": "text"}`: structured output cannot be guaranteed by every provider. */
  @Unsupported(
    'only {"type": "text"} is supported',
    (v) => v === null || (isRecord(v) && v.type === 'text' && Object.keys(v).length === 1),
  )
  format?: { type: 'text' } | null;

  /** Passed to the provider (OpenAI's GPT-5 models honour it). @example "low" */
  @IsOptional()
  @IsIn(VERBOSITIES)
  verbosity?: Verbosity | null;
}

export class ResponseStreamOptionsDto {
  /**
   * OpenAI pads delta events with random `obfuscation` text against length side channels; this
   * service does not pad, and the answer is the same either way. Accepted and not used. @example false
   */
  @IsOptional()
  @IsBoolean()
  include_obfuscation?: boolean | null;
}

/**
 * OpenAI's Responses API request (beyond LibreChat). `model` is an agent id the caller may USE;
 * `instructions` and system/developer input items are appended to the agent's instructions.
 */
export class CreateResponseDto {
  /**
   * The agent id, or an agent's name when exactly one of the agents the caller may use has it
   * (exact case first, then any case). @example "agent_V1StGXR8_Z5jdHi6B-myT"
   */
  @IsString()
  @MaxLength(256)
  model!: string;

  /**
   * A string, or items: messages `{role, content}` whose content is a string or text parts
   * (`input_text`, `output_text`, as output items come back) — on user messages also
   * `input_image` (`image_url` as a base64 data: URL, or `file_id` of one of the caller's files;
   * PNG, JPEG, GIF or WebP up to 5 MB, at most 10 a request; image URLs are not fetched) and
   * `input_file` (UTF-8 text as `file_data` with `filename`, or `file_id` of one of the caller's
   * text files; PDFs and binary files are not supported yet) —, the agent's tool calls as output
   * items come back (`mcp_call`: the call and its output are given to the model again;
   * `web_search_call` and `image_generation_call`: accepted and left out, they hold nothing the
   * model reads), and
   * `{"type": "item_reference", "id"}` naming an output item of one of the caller's stored
   * responses. @example "Hello!"
   */
  @ApiProperty({
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          oneOf: [
            {
              type: 'object',
              properties: {
                type: { enum: ['message'] },
                id: { type: 'string' },
                status: { enum: ['in_progress', 'completed', 'incomplete'] },
                role: { enum: ['user', 'assistant', 'system', 'developer'] },
                content: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }] },
              },
              required: ['role', 'content'],
            },
            {
              type: 'object',
              properties: {
                type: { enum: ['mcp_call'] },
                id: { type: 'string' },
                server_label: { type: 'string' },
                name: { type: 'string' },
                arguments: { type: 'string' },
                output: { type: 'string', nullable: true },
                error: { nullable: true },
                status: { enum: ['in_progress', 'completed', 'incomplete', 'calling', 'failed'] },
                approval_request_id: { type: 'string', nullable: true },
              },
              required: ['type', 'id', 'server_label', 'name', 'arguments'],
            },
            {
              type: 'object',
              properties: {
                type: { enum: ['web_search_call'] },
                id: { type: 'string' },
                status: { type: 'string' },
                action: { type: 'object' },
              },
              required: ['type', 'id'],
            },
            {
              type: 'object',
              properties: {
                type: { enum: ['image_generation_call'] },
                id: { type: 'string' },
                status: { type: 'string' },
                result: { type: 'string', nullable: true },
              },
              required: ['type', 'id'],
            },
            {
              type: 'object',
              properties: { type: { enum: ['item_reference'] }, id: { type: 'string' } },
              required: ['id'],
            },
          ],
        },
      },
    ],
  })
  @IsDefined()
  input!: string | Record<string, unknown>[];

  /** Appended to the agent's instructions for this response only. @example "Answer in French." */
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  instructions?: string;

  /** Continue a stored response of the caller's. @example "resp_6f1c2d3e0000400080000000000000001" */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  previous_response_id?: string;

  /** Save the exchange (default true, as OpenAI does) for `previous_response_id` and GET. @example true */
  @IsOptional()
  @IsBoolean()
  store?: boolean;

  /** Stream typed events (`response.created` … `response.completed`). @example false */
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  /** 0..2. @example 0.7 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  /** 0..1. @example 1 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  top_p?: number;

  /** 1..1,000,000. @example 512 */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_output_tokens?: number;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ReasoningDto)
  reasoning?: ReasoningDto | null;

  /** Plain text out (`{}` or `{"format": {"type": "text"}}`), optionally with a verbosity. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TextConfigDto)
  text?: TextConfigDto | null;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ResponseStreamOptionsDto)
  stream_options?: ResponseStreamOptionsDto | null;

  /** An end-user id for the caller's own tracking; echoed, not used. @example "user-1234" */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;

  /** The caller's end-user id for OpenAI's abuse detection; echoed, not used. @example "user-1234" */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  safety_identifier?: string | null;

  /** Up to 16 string pairs (keys ≤ 64, values ≤ 512 characters), stored with the response and echoed. @example {"ticket": "T-1"} */
  @IsOptional()
  @IsMetadata()
  metadata?: Record<string, string> | null;

  /** OpenAI's prompt-cache routing key; caching never changes an answer: echoed, not used. @example "faq-bot" */
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  prompt_cache_key?: string | null;

  /** Echoed, not used (prompt caching). @example "in_memory" */
  @IsOptional()
  @IsIn(['in_memory', '24h'])
  prompt_cache_retention?: 'in_memory' | '24h' | null;

  /** Accepted and not used (prompt caching). */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PromptCacheOptionsDto)
  prompt_cache_options?: PromptCacheOptionsDto | null;

  /** Any of OpenAI's tiers; every request is processed alike and `service_tier: "default"` is echoed. @example "auto" */
  @IsOptional()
  @IsIn(SERVICE_TIERS)
  service_tier?: ServiceTier | null;

  /**
   * `auto` (the default here): history over the context budget is cut oldest first. `disabled`
   * (OpenAI's default): such a request is refused with 400 `context_length_exceeded` instead.
   * @example "auto"
   */
  @IsOptional()
  @IsIn(['auto', 'disabled'])
  truncation?: 'auto' | 'disabled' | null;

  /**
   * Extra data for some output items. Each is accepted without effect, except
   * `message.output_text.logprobs` (log probabilities are not available): it adds to items this
   * service does not output (reasoning, input images, client-side tools' calls) or, for
   * `web_search_call.action.sources`, to what is always sent (a web search's sources).
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(INCLUDE_VALUES.length)
  @IsIn(INCLUDE_VALUES, { each: true })
  @Unsupported(
    "'message.output_text.logprobs' is not supported: log probabilities are not available",
    (v) => !Array.isArray(v) || !v.includes('message.output_text.logprobs'),
  )
  include?: (typeof INCLUDE_VALUES)[number][] | null;

  /** Only 0 (no log probabilities). @example 0 */
  @Unsupported('logprobs are not supported', oneOf(null, 0))
  top_logprobs?: number | null;

  /**
   * A cap on built-in tool calls. The agent's server-side tools take their place, and their calls
   * are capped by the service's own limits: accepted and echoed, not applied. @example 5
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  max_tool_calls?: number | null;

  /** Not supported: the agent's own tools run on the server. */
  @Unsupported("client-side tools are not supported; the agent's own tools run on the server", (v) =>
    Array.isArray(v) ? v.length === 0 : v === null,
  )
  tools?: unknown[];

  /**
   * `auto` or `none`: with no client-side tools in the request there is nothing for either to
   * change. Forcing a tool (`required`, a named or allowed set) is not supported. Echoed.
   */
  @Unsupported(
    "client-side tools are not supported; the agent's own tools run on the server",
    oneOf(null, 'auto', 'none'),
  )
  tool_choice?: 'auto' | 'none' | null;

  /** Accepted and echoed: with no client-side tools there are no calls to run in parallel. @example true */
  @IsOptional()
  @IsBoolean()
  parallel_tool_calls?: boolean | null;

  /** Not supported: stored prompt templates are OpenAI's. */
  @Unsupported('prompt templates are not supported; use instructions', (v) => v === null)
  prompt?: unknown;

  /** Not supported: use previous_response_id to continue a conversation. */
  @Unsupported('conversations are not supported; use previous_response_id', (v) => v === null)
  conversation?: unknown;

  /** Not supported: history over the context budget is cut (see truncation), not compacted. */
  @Unsupported('context_management is not supported; see truncation', (v) => v === null)
  context_management?: unknown;

  /** Not supported: moderating the request and answer is not offered here. */
  @Unsupported('moderation is not supported', (v) => v === null)
  moderation?: unknown;

  /** Not supported. */
  @Unsupported('background responses are not supported', (v) => v === false || v === null)
  background?: boolean;
}
