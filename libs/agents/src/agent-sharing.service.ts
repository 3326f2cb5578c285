import { Injectable } from '@nestjs/common';
import { AclService, type ResourcePermissionsDto, type UpdatePermissionsDto } from '@agents/acl';
import type { AuthUser } from '@agents/auth';
import { DatabaseService, NotFoundError } from '@agents/core';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';

/** Sharing one agent: its grants change under the agent's row lock, all together or not at all. */
@Injectable()
export class AgentSharingService {
  constructor(
    private readonly db: DatabaseService,
    private readonly agents: AgentsService,
    private readonly agentRows: AgentsRepository,
    private readonly acl: AclService,
  ) {}

  async state(agentId: string): Promise<ResourcePermissionsDto> {
    await this.assertExists(agentId);
    return this.acl.sharingState({ type: 'Agent', id: agentId });
  }

  update(user: AuthUser, agentId: string, dto: UpdatePermissionsDto): Promise<ResourcePermissionsDto> {
    return this.db.transaction(async (m) => {
      await this.agents.lockForChange(m, user, agentId, 'share');
      await this.acl.applyUpdate(m, user, { type: 'Agent', id: agentId }, dto);
      return this.acl.sharingState({ type: 'Agent', id: agentId }, m);
    });
  }

  async effective(user: AuthUser, agentId: string): Promise<{ permissionBits: number; permissions: string[] }> {
    await this.assertExists(agentId);
    return this.acl.effective(user, { type: 'Agent', id: agentId });
  }

  /**
   * The permission guard passes ADMIN (who holds every bit on every agent) without looking at the
   * agent, so routes that do not load it check here that it exists: an unknown id is a 404 for all.
   */
  private async assertExists(agentId: string): Promise<void> {
    if (!(await this.agentRows.findById(agentId))) throw new NotFoundError(`Agent ${agentId.slice(0, 64)} not found`);
  }
}
