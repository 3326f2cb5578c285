import {
  Injectable,
  SetMetadata,
  UseGuards,
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthUser } from '@agents/auth';
import { AGENT_ID_PATTERN, NotFoundError } from '@agents/core';
import { AgentAccessPolicy, type AgentAction } from './agent-access.policy';

const REQUIRED_ACTION = 'agentPermission';

/**
 * Checks, before the handler runs, that the caller holds the permission the route declared on the
 * agent named by the route's `:id`. Services check the loaded record again inside their transaction.
 */
@Injectable()
export class AgentPermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: AgentAccessPolicy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<AgentAction | undefined>(REQUIRED_ACTION, context.getHandler());
    if (!action) return true;
    const req = context.switchToHttp().getRequest<{ user: AuthUser; params: Record<string, string | undefined> }>();
    const id = req.params.id ?? '';
    if (!AGENT_ID_PATTERN.test(id)) throw new NotFoundError(`Agent ${id.slice(0, 64)} not found`);
    await this.policy.assertCan(req.user, id, action);
    return true;
  }
}

/** Declares the permission a route needs on the agent `:id` (VIEW, USE, EDIT, DELETE or SHARE). */
export const RequireAgentPermission = (action: AgentAction): MethodDecorator =>
  applyDecorators(SetMetadata(REQUIRED_ACTION, action), UseGuards(AgentPermissionGuard));
