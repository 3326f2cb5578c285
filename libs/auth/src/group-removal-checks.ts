import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** Access about to be taken away from a group: all of it (`userId` absent), or one member's. */
export interface GroupRemoval {
  groupId: string;
  userId?: string;
}

/**
 * A rule another module enforces on group deletions and member removals. It runs inside the
 * transaction that makes the change, before it, and refuses by throwing a domain error (which
 * rolls the transaction back). It may lock what it reads for the rest of that transaction.
 */
export type GroupRemovalCheck = (m: EntityManager, removal: GroupRemoval) => Promise<void>;

/**
 * Where modules built on auth register their rules about group changes. The acl module registers
 * the last-owner rule here: auth cannot ask acl directly, because acl builds on auth.
 */
@Injectable()
export class GroupRemovalChecks {
  private readonly checks: GroupRemovalCheck[] = [];

  register(check: GroupRemovalCheck): void {
    this.checks.push(check);
  }

  async assertAllowed(m: EntityManager, removal: GroupRemoval): Promise<void> {
    for (const check of this.checks) await check(m, removal);
  }
}
