import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { OptionalNotNull } from '@agents/core';
import { ARTIFACT_MODES, MAX_AGENT_EDGES, MAX_RECURSION_LIMIT } from '../agent-limits';
import { AgentEdgeDto, AvatarDto, ModelParametersDto, SupportContactDto, ToolResourcesDto } from './agent-parts.dto';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

/** The optional configurable fields shared by create and update. */
export class AgentFieldsDto {
  /**
   * Brief description of the agent's purpose, up to 2,000 characters; null clears it. Stored and
   * returned verbatim: HTML is not escaped, so clients must escape it when they render it.
   * @example "Answers questions about our HR policies"
   */
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  /**
   * System instructions (the system prompt), up to 100,000 characters; null clears them.
   * @example "You are a concise, friendly HR assistant."
   */
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  instructions?: string | null;

  /** Provider parameters: temperature 0..2, top_p 0..1, max_tokens ≥ 1, … */
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => ModelParametersDto)
  model_parameters?: ModelParametersDto;

  /** Shorthand for model_parameters.temperature (0..2). @example 0.7 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(0)
  @Max(2)
  temperature?: number;

  /** Shorthand for model_parameters.top_p (0..1). @example 1 */
  @OptionalNotNull()
  @IsNumber(FINITE)
  @Min(0)
  @Max(1)
  top_p?: number;

  /**
   * Ids of enabled tools (GET /api/agents/tools lists them), at most 64, no duplicates.
   * @example ["calculator", "web_search"]
   */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(64)
  @ArrayUnique()
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(128, { each: true })
  tools?: string[];

  /** Tool-specific resources, e.g. files for file_search and code_interpreter. */
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => ToolResourcesDto)
  tool_resources?: ToolResourcesDto;

  /** Avatar image; null removes it. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AvatarDto)
  avatar?: AvatarDto | null;

  /** Catalogue category, 1..64 characters. @example "general" */
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/^[\p{L}\p{N} _.-]+$/u, { message: 'category may contain letters, digits, spaces, _ . and -' })
  category?: string;

  /**
   * Up to 4 suggested first messages, each up to 1,000 characters. Stored and returned verbatim:
   * HTML is not escaped, so clients must escape it when they render it.
   * @example ["What is our leave policy?"]
   */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(1000, { each: true })
  conversation_starters?: string[];

  /**
   * LibreChat's artifacts mode: `""` (off), `default`, `shadcnui` or `custom`. Stored, versioned
   * and returned; artifacts are not rendered by this service yet.
   * @example "default"
   */
  @OptionalNotNull()
  @IsIn(ARTIFACT_MODES)
  artifacts?: (typeof ARTIFACT_MODES)[number];

  /**
   * The most steps one run may take (1..100); null returns to the server's default. Stored,
   * versioned and returned; the tool loop will take its step cap from it.
   * @example 25
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RECURSION_LIMIT)
  recursion_limit?: number | null;

  /** Who to contact about the agent, shown on its card to everyone who can see it; null removes it. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SupportContactDto)
  support_contact?: SupportContactDto | null;

  /**
   * LibreChat's agent graph: at most 20 edges between agents. Stored, versioned and returned;
   * multi-agent runs (handoffs, chains) are not built yet, so they do not change a chat today.
   */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_AGENT_EDGES)
  @ValidateNested({ each: true })
  @Type(() => AgentEdgeDto)
  edges?: AgentEdgeDto[];

  /**
   * Whether a run ends right after the agent's tool calls, without a final answer. Stored,
   * versioned and returned; not applied yet.
   * @example false
   */
  @OptionalNotNull()
  @IsBoolean()
  end_after_tools?: boolean;

  /**
   * Whether only the last agent's output of a sequential (multi-agent) run is shown. Stored,
   * versioned and returned; not applied yet (there are no multi-agent runs).
   * @example false
   */
  @OptionalNotNull()
  @IsBoolean()
  hide_sequential_outputs?: boolean;

  /**
   * Featured in the catalogue (`GET /api/agents?promoted=1`). Only an ADMIN may change it (403
   * otherwise); sending the current value is always fine. A copy starts unpromoted.
   * @example false
   */
  @OptionalNotNull()
  @IsBoolean()
  is_promoted?: boolean;
}
