import { Injectable } from '@nestjs/common';
import { AgentsRepository } from '@agents/agents';
import { PermissionBits } from '@agents/acl';
import type { AuthUser } from '@agents/auth';
import { CompletionGenerations, modelNotFound } from './completion-generations';
import { ModelDto, type ModelListDto } from './dto/model.dto';
import { OpenAIError } from './openai-error';

/** At most this many models are listed: OpenAI's list has no pagination, so it is capped (newest first). */
export const MAX_MODELS = 1000;

/** The agents a caller may USE, as OpenAI models. */
@Injectable()
export class ModelsService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly generations: CompletionGenerations,
  ) {}

  async list(user: AuthUser): Promise<ModelListDto> {
    const agents = await this.agents.listVisibleTo(
      { id: user.id, isAdmin: user.role === 'ADMIN' },
      { limit: MAX_MODELS, requiredBits: PermissionBits.USE },
    );
    return { object: 'list', data: agents.slice(0, MAX_MODELS).map((agent) => ModelDto.from(agent)) };
  }

  /** One model; an agent the caller may see but not USE is no model of theirs (404). */
  async get(user: AuthUser, id: string): Promise<ModelDto> {
    try {
      return ModelDto.from(await this.generations.usableAgent(user, id));
    } catch (err) {
      if (err instanceof OpenAIError && err.status === 403) throw modelNotFound(id);
      throw err;
    }
  }
}
