import type { AgentEntity } from '@agents/agents';

/** An agent as an OpenAI model object. */
export class ModelDto {
  /** The agent id; pass it as `model`. @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  id!: string;
  /** @example "model" */
  object!: 'model';
  /** Unix seconds of the agent's creation. @example 1764400000 */
  created!: number;
  /** The agent's author (a user id). @example "6f1c2d3e-0000-4000-8000-000000000001" */
  owned_by!: string;
  /** @example "Support bot" */
  name!: string;
  /** @example "Answers product questions" */
  description!: string | null;

  static from(agent: AgentEntity): ModelDto {
    return {
      id: agent.id,
      object: 'model',
      created: Math.floor(agent.createdAt.getTime() / 1000),
      owned_by: agent.author,
      name: agent.name,
      description: agent.description,
    };
  }
}

export class ModelListDto {
  /** @example "list" */
  object!: 'list';
  data!: ModelDto[];
}
