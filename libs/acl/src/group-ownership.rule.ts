import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { GroupRemovalChecks, type GroupRemoval } from '@agents/auth';
import { ConflictError } from '@agents/core';
import { AclRepository } from './acl.repository';

/** Resources a refusal names at most. */
const NAMED = 10;

/**
 * The last-owner rule on group changes: deleting a group, or removing one of its members, must not
 * leave a resource the group owns without an owner that reaches a real user. Such a change is
 * refused (409, naming the resources) rather than repaired by handing the resource to someone:
 * who should own it is the admin's decision. Registered with auth's GroupRemovalChecks, so it runs
 * in the change's transaction, before it.
 */
@Injectable()
export class GroupOwnershipRule implements OnModuleInit {
  constructor(
    private readonly checks: GroupRemovalChecks,
    private readonly acl: AclRepository,
  ) {}

  onModuleInit(): void {
    this.checks.register((m, removal) => this.assertNoneOrphaned(m, removal));
  }

  async assertNoneOrphaned(m: EntityManager, { groupId, userId }: GroupRemoval): Promise<void> {
    // Locked first, so no concurrent sharing change or other group's removal can take away the
    // other owners this check counts on before the transaction ends.
    await this.acl.lockOwnedThroughGroup(m, groupId);
    const orphans = await this.acl.ownedOnlyThrough(m, groupId, userId, NAMED + 1);
    if (orphans.length === 0) return;
    const named = orphans
      .slice(0, NAMED)
      .map((r) => `${r.resourceType} ${r.resourceId}`)
      .join(', ');
    const more = orphans.length > NAMED ? ' and others' : '';
    const change = userId === undefined ? 'Deleting this group' : 'Removing this member';
    throw new ConflictError(
      `${change} would leave ${named}${more} without an owner; grant agent_owner to a user or another group first`,
    );
  }
}
