import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@agents/auth';
import { ForbiddenError, NotFoundError } from '@agents/core';
import type { AgentEntity } from './agent.entity';

export type AgentAction = 'view' | 'use' | 'edit' | 'delete' | 'share';

/**
 * The one place that decides what a caller may do with a loaded agent. Until per-agent grants
 * exist, the author holds every permission and nobody else holds any. A caller who may not even
 * view an agent gets a 404, so its existence is never revealed.
 */
@Injectable()
export class AgentAccessPolicy {
  assertCan(user: AuthUser, agent: AgentEntity, action: AgentAction): void {
    const allowed = this.permitted(user, agent);
    if (!allowed.has('view')) throw new NotFoundError(`Agent ${agent.id} not found`);
    if (!allowed.has(action))
      throw new ForbiddenError(`You do not have ${action.toUpperCase()} permission on this agent`);
  }

  private permitted(user: AuthUser, agent: AgentEntity): Set<AgentAction> {
    return agent.author === user.id
      ? new Set<AgentAction>(['view', 'use', 'edit', 'delete', 'share'])
      : new Set<AgentAction>();
  }
}
