import {
  AbilityBuilder,
  ForbiddenError as CaslForbiddenError,
  createMongoAbility,
  subject,
  type ForcedSubject,
  type MongoAbility,
} from '@casl/ability';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@agents/auth';
import { ForbiddenError, NotFoundError } from '@agents/core';
import { ACTION_BITS, type Action } from './permission-bits';

export type SubjectType = 'Agent';
type ResourceSubject = ForcedSubject<SubjectType> & { id: string };
export type AppAbility = MongoAbility<[Action | 'manage', SubjectType | ResourceSubject | 'all']>;

export interface ResourceRef {
  type: SubjectType;
  id: string;
}

/** Turns a user's effective bits on one resource into CASL abilities. ADMIN can do anything. */
@Injectable()
export class AbilityFactory {
  forResource(user: AuthUser, resource: ResourceRef, bits: number): AppAbility {
    const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
    if (user.role === 'ADMIN') {
      can('manage', 'all');
    } else {
      for (const [action, bit] of Object.entries(ACTION_BITS) as [Action, number][]) {
        if ((bits & bit) === bit) can(action, resource.type, { id: resource.id });
      }
    }
    return build();
  }

  /**
   * Throws unless the ability allows `action` on the resource: a 404 when it may not even view it
   * (its existence is not revealed), a 403 when it may view it but not do this.
   */
  assertCan(ability: AppAbility, action: Action, resource: ResourceRef): void {
    const target = subject(resource.type, { id: resource.id });
    if (ability.cannot('view', target))
      throw new NotFoundError(`${resource.type} ${resource.id.slice(0, 64)} not found`);
    try {
      CaslForbiddenError.from(ability)
        .setMessage(`You do not have ${action.toUpperCase()} permission on this ${resource.type.toLowerCase()}`)
        .throwUnlessCan(action, target);
    } catch (err) {
      if (err instanceof CaslForbiddenError) throw new ForbiddenError(err.message);
      throw err;
    }
  }
}
