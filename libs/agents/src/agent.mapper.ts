import { takeSnapshot, type AgentVersionEntity } from '@agents/versions';
import type { AgentEntity } from './agent.entity';
import type {
  AgentCardResponseDto,
  AgentCatalogueFieldsDto,
  AgentResponseDto,
  AgentVersionResponseDto,
  AgentViewDto,
} from './dto/agent-response.dto';

function catalogueFields(agent: AgentEntity, isPublic: boolean): AgentCatalogueFieldsDto {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    avatar: agent.avatar,
    category: agent.category,
    conversation_starters: agent.conversation_starters,
    support_contact: agent.support_contact,
    provider: agent.provider,
    model: agent.model,
    is_promoted: agent.is_promoted,
    version: agent.version,
    isPublic,
    createdAt: agent.createdAt.toISOString(),
    updatedAt: agent.updatedAt.toISOString(),
  };
}

/** The agent with its full configuration: only for callers who hold EDIT on it. */
export function toAgentResponse(agent: AgentEntity, isPublic = false): AgentResponseDto {
  return {
    ...catalogueFields(agent, isPublic),
    instructions: agent.instructions,
    model_parameters: agent.model_parameters,
    tools: agent.tools,
    tool_resources: agent.tool_resources,
    author: agent.author,
    artifacts: agent.artifacts,
    recursion_limit: agent.recursion_limit,
    edges: agent.edges,
    end_after_tools: agent.end_after_tools,
    hide_sequential_outputs: agent.hide_sequential_outputs,
  };
}

/**
 * The catalogue card (docs/http-api.md § Agents). Instructions, tools and their files are the
 * agent's configuration — often its owner's work or secrets — so seeing or using an agent does not
 * reveal them. The author's id is shown to the author alone, as LibreChat does.
 */
export function toAgentCard(agent: AgentEntity, isPublic: boolean, viewerId: string): AgentCardResponseDto {
  const card: AgentCardResponseDto = catalogueFields(agent, isPublic);
  if (agent.author === viewerId) card.author = agent.author;
  return card;
}

/** The view a caller gets of an agent: the full configuration with EDIT, the card without. */
export function toAgentView(
  agent: AgentEntity,
  access: { isPublic: boolean; canEdit: boolean; viewerId: string },
): AgentViewDto {
  return access.canEdit
    ? toAgentResponse(agent, access.isPublic)
    : toAgentCard(agent, access.isPublic, access.viewerId);
}

export function toVersionResponse(row: AgentVersionEntity): AgentVersionResponseDto {
  return {
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedBy: row.createdBy,
    // Through takeSnapshot, so versions recorded before a field existed show its default.
    ...takeSnapshot(row.snapshot),
  };
}
