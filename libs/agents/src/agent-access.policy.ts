import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AclService, type Action } from '@agents/acl';
import type { AuthUser } from '@agents/auth';
import { NotFoundError } from '@agents/core';
import type { AgentEntity } from './agent.entity';
import { AgentsRepository } from './agents.repository';

export type AgentAction = Action;

/**
 * The one place that decides what a caller may do with an agent: their grants (own, groups',
 * public) checked as CASL abilities. No VIEW is a 404, so an agent's existence is never revealed;
 * VIEW without the needed bit is a 403. Chat and the OpenAI-compatible API call `assertCan(…, 'use')`.
 */
@Injectable()
export class AgentAccessPolicy {
  constructor(
    private readonly acl: AclService,
    private readonly agents: AgentsRepository,
  ) {}

  /** Returns the caller's permission bits on the agent, or throws 404/403. */
  assertCan(user: AuthUser, agentId: string, action: AgentAction, m?: EntityManager): Promise<number> {
    return this.acl.assertCan(user, { type: 'Agent', id: agentId }, action, m);
  }

  /**
   * The agent, when the caller may USE it (what starting a generation needs); 404/403 otherwise.
   * The check and the read run side by side: the start path's latency is its round trips.
   */
  async usableAgent(user: AuthUser, agentId: string): Promise<AgentEntity> {
    const [, agent] = await Promise.all([this.assertCan(user, agentId, 'use'), this.agents.findById(agentId)]);
    if (!agent) throw new NotFoundError(`Agent ${agentId} not found`);
    return agent;
  }
}
