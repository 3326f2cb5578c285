import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  AGENT_ROLES,
  AccessRoleDto,
  EffectivePermissionsDto,
  ResourcePermissionsDto,
  UpdatePermissionsDto,
} from '@agents/acl';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors } from '@agents/core';
import { RequireAgentPermission } from './agent-permission.guard';
import { AgentSharingService } from './agent-sharing.service';

@ApiTags('permissions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('permissions/agent')
export class AgentPermissionsController {
  constructor(private readonly sharing: AgentSharingService) {}

  /** The roles a grant can name, with their permission bits (VIEW=1, EDIT=2, DELETE=4, SHARE=8, USE=16). */
  @Get('roles')
  roles(): AccessRoleDto[] {
    return [...AGENT_ROLES];
  }

  /** Who holds which role on the agent (needs SHARE). */
  @Get(':id')
  @RequireAgentPermission('share')
  @ApiErrors(403, 404)
  get(@Param('id') id: string): Promise<ResourcePermissionsDto> {
    return this.sharing.state(id);
  }

  /**
   * Grants, changes and removes roles, and the public grant, all in one transaction (needs SHARE).
   * Nobody grants bits they do not hold; the last owner cannot be removed (409).
   */
  @Put(':id')
  @RequireAgentPermission('share')
  @ApiErrors(400, 403, 404, 409)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() dto: UpdatePermissionsDto,
  ): Promise<ResourcePermissionsDto> {
    return this.sharing.update(user, id, dto);
  }

  /** The caller's own permissions on the agent. */
  @Get(':id/effective')
  @RequireAgentPermission('view')
  @ApiErrors(404)
  effective(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<EffectivePermissionsDto> {
    return this.sharing.effective(user, id);
  }
}
