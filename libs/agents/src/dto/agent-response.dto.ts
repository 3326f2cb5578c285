import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { AgentEdgeDto } from './agent-parts.dto';

export class AvatarResponseDto {
  /** An http(s) URL or a path on this server starting with `/`. @example "/images/avatars/agent.png" */
  filepath!: string;
  /** @example "local" */
  source!: string;
}

export class SupportContactResponseDto {
  /** @example "HR team" */
  name?: string;
  /** @example "hr@example.com" */
  email?: string;
}

/**
 * The fields every caller who can see an agent gets: what a catalogue shows. Text fields are
 * returned exactly as stored, HTML included: escape them when rendering.
 */
export class AgentCatalogueFieldsDto {
  /** @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  id!: string;
  /** @example "HR Helper" */
  name!: string;
  /** @example "Answers questions about our HR policies" */
  description!: string | null;
  avatar!: AvatarResponseDto | null;
  /** @example "general" */
  category!: string;
  /** @example ["What is our leave policy?"] */
  conversation_starters!: string[];
  support_contact!: SupportContactResponseDto | null;
  /** @example "openai" */
  provider!: string;
  /** @example "gpt-4o" */
  model!: string;
  /** Featured in the catalogue by an ADMIN. @example false */
  is_promoted!: boolean;
  /** Current version number, 1 when created. @example 3 */
  version!: number;
  /** Whether a public grant exists. @example false */
  isPublic!: boolean;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /** @example "2026-11-29T12:30:00.000Z" */
  updatedAt!: string;
}

/**
 * What a caller who can see or use an agent but not EDIT it gets (docs/http-api.md § Agents): the
 * catalogue card. The configuration (instructions, tools, tool_resources, model_parameters, edges,
 * …) is left out; chats still use it, server-side.
 */
export class AgentCardResponseDto extends AgentCatalogueFieldsDto {
  /** User id of the creator; present only when the caller is the creator. */
  author?: string;
}

/**
 * An agent with its full configuration, as callers with EDIT get it (docs/http-api.md § Agents):
 * from create, update, revert and duplicate, from GET /api/agents/:id/expanded, and from reads and
 * lists.
 */
export class AgentResponseDto extends AgentCatalogueFieldsDto {
  /** @example "You are a concise, friendly HR assistant." */
  instructions!: string | null;
  /** @example {"temperature": 0.7} */
  model_parameters!: Record<string, unknown>;
  /** @example ["calculator"] */
  tools!: string[];
  /** @example {"file_search": {"file_ids": []}} */
  tool_resources!: Record<string, unknown>;
  /** User id of the creator. @example "0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21" */
  author!: string;
  /** `""` (off), `default`, `shadcnui` or `custom`. @example "" */
  artifacts!: string;
  /** Null: the server's default. @example 25 */
  recursion_limit!: number | null;
  edges!: AgentEdgeDto[];
  /** @example false */
  end_after_tools!: boolean;
  /** @example false */
  hide_sequential_outputs!: boolean;
}

/** An agent as reads and lists return it: the full configuration to callers with EDIT, the card to others. */
export type AgentViewDto = AgentResponseDto | AgentCardResponseDto;

/** The OpenAPI schema of {@link AgentViewDto}; the models need `@ApiExtraModels` where it is used. */
export const AGENT_VIEW_SCHEMA = {
  oneOf: [{ $ref: getSchemaPath(AgentResponseDto) }, { $ref: getSchemaPath(AgentCardResponseDto) }],
};

export class AgentListResponseDto {
  /** @example "list" */
  object!: 'list';
  /** Each agent in full when the caller holds EDIT on it, as its card otherwise. */
  @ApiProperty({ type: 'array', items: AGENT_VIEW_SCHEMA })
  data!: AgentViewDto[];
  /** @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  first_id!: string | null;
  /** @example "agent_3ZtG8hB4ZkqP0xY2nL9aQ" */
  last_id!: string | null;
  /** @example true */
  has_more!: boolean;
  /** Pass as `cursor` to get the next page; null on the last page. */
  after!: string | null;
}

/** One immutable version: its number, who made it and when, and the snapshot of every field. */
export class AgentVersionResponseDto {
  /** @example 2 */
  version!: number;
  /** @example "2026-11-29T12:30:00.000Z" */
  createdAt!: string;
  /** @example "0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21" */
  updatedBy!: string;
  /** @example "HR Helper" */
  name!: string;
  description!: string | null;
  instructions!: string | null;
  /** @example "openai" */
  provider!: string;
  /** @example "gpt-4o" */
  model!: string;
  model_parameters!: Record<string, unknown>;
  tools!: string[];
  tool_resources!: Record<string, unknown>;
  avatar!: AvatarResponseDto | null;
  category!: string;
  conversation_starters!: string[];
  artifacts!: string;
  recursion_limit!: number | null;
  support_contact!: SupportContactResponseDto | null;
  edges!: AgentEdgeDto[];
  end_after_tools!: boolean;
  hide_sequential_outputs!: boolean;
  is_promoted!: boolean;
}

export class AgentVersionListResponseDto {
  /** @example "list" */
  object!: 'list';
  data!: AgentVersionResponseDto[];
  /** Newest version on this page, as a string. @example "3" */
  first_id!: string | null;
  /** @example "2" */
  last_id!: string | null;
  has_more!: boolean;
  after!: string | null;
}

export class ToolResponseDto {
  /** What an agent lists in `tools`, and the function name the model calls. @example "calculator" */
  id!: string;
  /** @example "Calculator" */
  name!: string;
  /** @example "Evaluates a math expression (mathjs syntax: units, matrices, functions)" */
  description!: string;
  /** The JSON Schema of the tool's arguments, as the model is given it. @example {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]} */
  parameters!: Record<string, unknown>;
  /** A built-in tool, or a tool of an MCP server of the config file. @example "builtin" */
  @ApiProperty({ enum: ['builtin', 'mcp'] })
  source!: 'builtin' | 'mcp';
  /** The MCP server, for an MCP tool. @example "tickets" */
  server?: string;
  /** False while the tool's MCP server does not answer; it can still be enabled. @example true */
  available!: boolean;
}

/** A provider an agent may name, and whether this deployment can call it. */
export class ProviderResponseDto {
  /** What an agent's `provider` holds. @example "anthropic" */
  name!: string;
  /** A vendor the service speaks to through its SDK, or a custom OpenAI-compatible endpoint of the config file. @example "builtin" */
  @ApiProperty({ enum: ['builtin', 'custom'] })
  kind!: 'builtin' | 'custom';
  /** Whether a key or base URL is set; an agent on a provider that is not configured fails at chat time, naming the setting. @example true */
  configured!: boolean;
  /**
   * Its models: a custom endpoint's configured list, or what the endpoint itself lists (see
   * `modelsSource`). Only a `config` list limits the models an agent may name.
   * @example ["claude-sonnet-4-5", "claude-haiku-4-5"]
   */
  models!: string[];
  /**
   * Where `models` came from: the config file's list (`config`), the provider's own model listing,
   * cached for 5 minutes (`endpoint`), or nowhere (`none`: not configured here). @example "endpoint"
   */
  @ApiProperty({ enum: ['config', 'endpoint', 'none'] })
  modelsSource!: 'config' | 'endpoint' | 'none';
  /** Why `models` is empty when the endpoint's listing failed or timed out (retried after 30 s). @example "the endpoint answered HTTP 401 to the model listing" */
  modelsError?: string;
  /** For a provider that is not configured, the settings that would configure it. @example "ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL" */
  missing?: string;
}

export class MessageResponseDto {
  /** @example "Agent deleted" */
  message!: string;
}

/** One catalogue category and how many agents the caller can see in it. */
export class AgentCategoryDto {
  /** What agents store in `category` and what `GET /api/agents?category=` takes. @example "hr" */
  value!: string;
  /** The value made readable. @example "Hr" */
  label!: string;
  /** Agents in this category the caller can see. @example 3 */
  count!: number;
}
