import type { AgentVersionEntity } from '@agents/versions';
import type { AgentEntity } from './agent.entity';
import type { AgentResponseDto, AgentVersionResponseDto } from './dto/agent-response.dto';

export function toAgentResponse(agent: AgentEntity, isPublic = false): AgentResponseDto {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    instructions: agent.instructions,
    provider: agent.provider,
    model: agent.model,
    model_parameters: agent.model_parameters,
    tools: agent.tools,
    tool_resources: agent.tool_resources,
    author: agent.author,
    avatar: agent.avatar,
    category: agent.category,
    conversation_starters: agent.conversation_starters,
    version: agent.version,
    isPublic,
    createdAt: agent.createdAt.toISOString(),
    updatedAt: agent.updatedAt.toISOString(),
  };
}

export function toVersionResponse(row: AgentVersionEntity): AgentVersionResponseDto {
  return {
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedBy: row.createdBy,
    ...row.snapshot,
  };
}
