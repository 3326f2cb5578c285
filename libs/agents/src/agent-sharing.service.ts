import { Injectable } from '@nestjs/common';
import { AclService, type ResourcePermissionsDto, type UpdatePermissionsDto } from '@agents/acl';
import type { AuthUser } from '@agents/auth';
import { DatabaseService } from '@agents/core';
import { AgentsService } from './agents.service';

/** Sharing one agent: its grants change under the agent's row lock, all together or not at all. */
@Injectable()
export class AgentSharingService {
  constructor(
    private readonly db: DatabaseService,
    private readonly agents: AgentsService,
    private readonly acl: AclService,
  ) {}

  state(agentId: string): Promise<ResourcePermissionsDto> {
    return this.acl.sharingState({ type: 'Agent', id: agentId });
  }

  update(user: AuthUser, agentId: string, dto: UpdatePermissionsDto): Promise<ResourcePermissionsDto> {
    return this.db.transaction(async (m) => {
      await this.agents.lockForChange(m, user, agentId, 'share');
      await this.acl.applyUpdate(m, user, { type: 'Agent', id: agentId }, dto);
      return this.acl.sharingState({ type: 'Agent', id: agentId }, m);
    });
  }

  effective(user: AuthUser, agentId: string): Promise<{ permissionBits: number; permissions: string[] }> {
    return this.acl.effective(user, { type: 'Agent', id: agentId });
  }
}
