import { Injectable, UseGuards, applyDecorators, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ForbiddenError } from '@agents/core';
import type { AuthUser } from './auth-user';

@Injectable()
export class AdminOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user?.role !== 'ADMIN') throw new ForbiddenError('Only an ADMIN may do this');
    return true;
  }
}

/** The route is for users with role ADMIN (after the global authentication guard). */
export const AdminOnly = (): MethodDecorator & ClassDecorator => applyDecorators(UseGuards(AdminOnlyGuard));
