import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { AGENT_ID_PATTERN, IsHttpUrlOrRootPath, OptionalNotNull } from '@agents/core';
import { IsAgentIdOrIds } from '../agent-id-list.validator';
import { EDGE_TYPES, MAX_EDGE_ENDPOINTS } from '../agent-limits';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

/** Sampling and generation parameters passed to the provider. */
export class ModelParametersDto {
  /** Sampling temperature, 0..2. @example 0.7 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(0)
  @Max(2)
  temperature?: number;

  /** Nucleus sampling, 0..1. @example 1 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(0)
  @Max(1)
  top_p?: number;

  /** Upper bound on generated tokens. @example 1024 */
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_tokens?: number;

  /** -2..2; OpenAI, OpenAI-compatible providers and Google (not Anthropic). @example 0 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  /** -2..2; OpenAI, OpenAI-compatible providers and Google (not Anthropic). @example 0 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  /** Top-k sampling; Anthropic (not with thinking_budget) and Google only. @example 40 */
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  top_k?: number;

  /** Up to 4 stop sequences. @example ["\n\nUser:"] */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(256, { each: true })
  stop?: string[];

  /** Reasoning effort for reasoning models; OpenAI and OpenAI-compatible providers only. @example "medium" */
  @OptionalNotNull()
  @IsIn(['minimal', 'low', 'medium', 'high'])
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high';

  /**
   * Tokens a thinking model may spend reasoning before it answers: Anthropic's extended thinking
   * (at least 1024 and below max_tokens; temperature then unset or 1, no top_k, top_p from 0.95)
   * and Google's thinking budget; no other provider takes it. @example 2048
   */
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  thinking_budget?: number;

  /**
   * LibreChat's per-agent context window, in tokens. Stored and returned; not applied yet: the
   * server's context budget (CONTEXT_BUDGET_CHARS) decides how much history is sent.
   * @example 128000
   */
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  maxContextTokens?: number;

  /**
   * LibreChat's "resend files": attach the conversation's earlier files to every request. Stored and
   * returned; not applied yet (only the current message's files are sent).
   * @example false
   */
  @OptionalNotNull()
  @IsBoolean()
  resendFiles?: boolean;
}

export class FileIdsDto {
  /** Ids of uploaded files (UUIDs), at most 100. @example ["5f0c7d2e-8a4b-4c1d-9e3f-1a2b3c4d5e6f"] */
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  file_ids!: string[];
}

/** Tool-specific resources. */
export class ToolResourcesDto {
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => FileIdsDto)
  file_search?: FileIdsDto;

  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => FileIdsDto)
  code_interpreter?: FileIdsDto;

  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => FileIdsDto)
  execute_code?: FileIdsDto;

  /**
   * LibreChat's "file context": files whose text is put into the agent's instructions. Stored and
   * returned; not applied yet.
   */
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => FileIdsDto)
  context?: FileIdsDto;
}

/** Who to contact about the agent, shown on its catalogue card. */
export class SupportContactDto {
  /** Up to 256 characters; may be empty. @example "HR team" */
  @OptionalNotNull()
  @IsString()
  @MaxLength(256)
  name?: string;

  /** An email address, up to 320 characters, or `""` for none. @example "hr@example.com" */
  @ValidateIf((_object, value) => value !== undefined && value !== '')
  @IsEmail()
  @MaxLength(320)
  email?: string;
}

const AGENT_ID_OR_IDS = {
  oneOf: [
    { type: 'string', pattern: AGENT_ID_PATTERN.source },
    {
      type: 'array',
      items: { type: 'string', pattern: AGENT_ID_PATTERN.source },
      minItems: 1,
      maxItems: MAX_EDGE_ENDPOINTS,
      uniqueItems: true,
    },
  ],
};

/**
 * One edge of an agent graph, as LibreChat's agent builder saves it. Stored, versioned and returned;
 * multi-agent runs are not built yet, so edges do not change what a chat does today.
 */
export class AgentEdgeDto {
  /** The agent (or agents) the edge starts from. @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  @ApiProperty({ ...AGENT_ID_OR_IDS, example: 'agent_V1StGXR8_Z5jdHi6B-myT' })
  @IsAgentIdOrIds(MAX_EDGE_ENDPOINTS)
  from!: string | string[];

  /** The agent (or agents) the edge leads to. @example "agent_3ZtG8hB4ZkqP0xY2nL9aQ" */
  @ApiProperty({ ...AGENT_ID_OR_IDS, example: 'agent_3ZtG8hB4ZkqP0xY2nL9aQ' })
  @IsAgentIdOrIds(MAX_EDGE_ENDPOINTS)
  to!: string | string[];

  /** What the edge is for, up to 2,000 characters. @example "Hand billing questions to the billing agent" */
  @OptionalNotNull()
  @IsString()
  @MaxLength(2000)
  description?: string;

  /** `handoff` (the model decides to transfer) or `direct` (always runs next). @example "handoff" */
  @OptionalNotNull()
  @IsIn(EDGE_TYPES)
  edgeType?: (typeof EDGE_TYPES)[number];

  /** Text given to the next agent, up to 10,000 characters. @example "Summarise what the user needs." */
  @OptionalNotNull()
  @IsString()
  @MaxLength(10_000)
  prompt?: string;

  /** Whether the next agent sees only the prompt, not the previous agent's results. @example false */
  @OptionalNotNull()
  @IsBoolean()
  excludeResults?: boolean;

  /** Name of the prompt variable, up to 128 characters. @example "instructions" */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  promptKey?: string;
}

export class AvatarDto {
  /**
   * The image's URL: an http:// or https:// URL, or a path on this server starting with a single
   * `/`. Other schemes (`javascript:`, `data:` …) and protocol-relative `//host/…` are refused,
   * since clients put this straight into `src` or `href`.
   * @example "/images/avatars/agent.png"
   */
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  @IsHttpUrlOrRootPath()
  filepath!: string;

  /** Where the file is stored. @example "local" */
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  source!: string;
}
