import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
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
import { Unsupported } from '../openai-validators';

export class ReasoningDto {
  /** @example "low" */
  @IsOptional()
  @IsIn(['minimal', 'low', 'medium', 'high'])
  effort?: 'minimal' | 'low' | 'medium' | 'high';
}

/**
 * OpenAI's Responses API request (beyond LibreChat). `model` is an agent id the caller may USE;
 * `instructions` and system/developer input items are appended to the agent's instructions.
 */
export class CreateResponseDto {
  /** The agent id. @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  @IsString()
  @MaxLength(64)
  model!: string;

  /** A string, or message items `{role, content}` whose content is a string or input_text parts. @example "Hello!" */
  @ApiProperty({
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            type: { enum: ['message'] },
            role: { enum: ['user', 'assistant', 'system', 'developer'] },
            content: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }] },
          },
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
  reasoning?: ReasoningDto;

  /** An end-user id for the caller's own tracking; accepted and not used. @example "user-1234" */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;

  /** Only `{"format": {"type": "text"}}`. */
  @Unsupported(
    'only {"format": {"type": "text"}} is supported',
    (v) =>
      v === null ||
      (typeof v === 'object' &&
        Object.keys(v).length === 1 &&
        JSON.stringify((v as { format?: unknown }).format) === '{"type":"text"}'),
  )
  text?: unknown;

  /** Not supported: the agent's own tools run on the server. */
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

  /** Not supported. */
  @Unsupported('background responses are not supported', (v) => v === false || v === null)
  background?: boolean;
}
