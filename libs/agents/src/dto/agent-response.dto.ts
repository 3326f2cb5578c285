export class AvatarResponseDto {
  /** An http(s) URL or a path on this server starting with `/`. @example "/images/avatars/agent.png" */
  filepath!: string;
  /** @example "local" */
  source!: string;
}

/**
 * An agent, as every route returns it (API.md §2). Text fields (name, description, instructions,
 * conversation starters) are returned exactly as stored, HTML included: escape them when rendering.
 */
export class AgentResponseDto {
  /** @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  id!: string;
  /** @example "HR Helper" */
  name!: string;
  /** @example "Answers questions about our HR policies" */
  description!: string | null;
  /** @example "You are a concise, friendly HR assistant." */
  instructions!: string | null;
  /** @example "openai" */
  provider!: string;
  /** @example "gpt-4o" */
  model!: string;
  /** @example {"temperature": 0.7} */
  model_parameters!: Record<string, unknown>;
  /** @example ["calculator"] */
  tools!: string[];
  /** @example {"file_search": {"file_ids": []}} */
  tool_resources!: Record<string, unknown>;
  /** User id of the creator. @example "0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21" */
  author!: string;
  avatar!: AvatarResponseDto | null;
  /** @example "general" */
  category!: string;
  /** @example ["What is our leave policy?"] */
  conversation_starters!: string[];
  /** Current version number, 1 when created. @example 3 */
  version!: number;
  /** Whether a public grant exists. @example false */
  isPublic!: boolean;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /** @example "2026-11-29T12:30:00.000Z" */
  updatedAt!: string;
}

export class AgentListResponseDto {
  /** @example "list" */
  object!: 'list';
  data!: AgentResponseDto[];
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
  /** @example "calculator" */
  id!: string;
  /** @example "Calculator" */
  name!: string;
  /** @example "Evaluates a math expression" */
  description!: string;
  /** Other ids accepted for this tool. @example [] */
  aliases!: string[];
}

export class MessageResponseDto {
  /** @example "Agent deleted" */
  message!: string;
}
