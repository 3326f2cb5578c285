import { Injectable } from '@nestjs/common';
import type { EntityManager, SelectQueryBuilder, ObjectLiteral } from 'typeorm';
import { DatabaseService } from '@agents/core';
import { AclEntryEntity, type PrincipalType, type ResourceType } from './acl-entry.entity';
import { OWNER_ROLE, PermissionBits, splitBits } from './permission-bits';

/**
 * SQL that matches the grants applying to user `:aclUserId`: their own, their groups' and the
 * public one. `e` is the acl_entries alias.
 */
export function principalMatch(alias: string): string {
  return `(${alias}.principal_type = 'public'
    OR (${alias}.principal_type = 'user' AND ${alias}.principal_id = :aclUserId)
    OR (${alias}.principal_type = 'group' AND ${alias}.principal_id IN
          (SELECT gm.group_id FROM group_members gm WHERE gm.user_id = :aclUserId)))`;
}

/**
 * SQL: grant `o` gives the owner role to someone real — a user who exists, or a group with at least
 * one member. Memberships matched by `$goneGroup`/`$goneUser` (numbered parameters of the caller:
 * a whole group when the user is NULL, else one membership) count as gone already. An owner grant
 * to an empty group, or to a user that no longer exists, owns nothing anybody can use.
 */
function liveOwner(o: string, goneGroup: string, goneUser: string): string {
  return `${o}.role_id = '${OWNER_ROLE}' AND (
    (${o}.principal_type = 'user' AND EXISTS (SELECT 1 FROM users u WHERE u.id = ${o}.principal_id))
    OR (${o}.principal_type = 'group' AND EXISTS (
      SELECT 1 FROM group_members gm WHERE gm.group_id = ${o}.principal_id
        AND NOT coalesce(gm.group_id = ${goneGroup}::uuid AND (${goneUser}::uuid IS NULL OR gm.user_id = ${goneUser}::uuid), false))))`;
}

/** A resource, as the rows of acl_entries name it. */
export interface ResourceKey {
  resourceType: ResourceType;
  resourceId: string;
}

export interface GrantRow {
  principalType: PrincipalType;
  principalId: string | null;
  roleId: string;
  permBits: number;
}

@Injectable()
export class AclRepository {
  constructor(private readonly db: DatabaseService) {}

  /** The OR of every grant on the resource that applies to the user (0 when none). */
  async effectiveBits(
    userId: string,
    resourceType: ResourceType,
    resourceId: string,
    m?: EntityManager,
  ): Promise<number> {
    const tx = this.db.inTransaction(m);
    const qb = (tx ?? this.db.manager)
      .createQueryBuilder(AclEntryEntity, 'e')
      .select('coalesce(bit_or(e.perm_bits), 0)', 'bits')
      .where('e.resource_type = :resourceType AND e.resource_id = :resourceId', { resourceType, resourceId })
      .andWhere(principalMatch('e'), { aclUserId: userId });
    // Outside a transaction (every chat start's check) a prepared statement.
    const row = tx
      ? await qb.getRawOne<{ bits: number }>()
      : (await this.db.getRawManyPrepared<{ bits: number }>(qb))[0];
    return Number(row?.bits ?? 0);
  }

  /**
   * Restricts `qb` to resources on which the user's grants together hold every bit of
   * `requiredBits`. One EXISTS per bit: the OR over grants has a bit exactly when some grant has it,
   * so bits split across a user grant and a group grant still count, and each EXISTS is an index
   * probe the planner can also run as a semi-join from the principal's side.
   */
  restrictToGranted<T extends ObjectLiteral>(
    qb: SelectQueryBuilder<T>,
    resourceType: ResourceType,
    idColumn: string,
    userId: string,
    requiredBits: number,
  ): SelectQueryBuilder<T> {
    splitBits(requiredBits).forEach((bit, i) => {
      const e = `acl${i}`;
      qb.andWhere(
        `EXISTS (SELECT 1 FROM acl_entries ${e}
           WHERE ${e}.resource_type = :aclResourceType AND ${e}.resource_id = ${idColumn}
             AND (${e}.perm_bits & ${bit}) <> 0 AND ${principalMatch(e)})`,
        { aclResourceType: resourceType, aclUserId: userId },
      );
    });
    return qb;
  }

  /**
   * SQL for a boolean column: whether user `:aclUserId` holds `bit` on the resource of type
   * `:aclResourceType` whose id is `idColumn`, through any of their grants. For lists that decide
   * per row, in the same query, what each row shows (one index probe per row of the page).
   */
  holdsBitSql(idColumn: string, bit: number): string {
    if (!Number.isInteger(bit) || bit <= 0) throw new RangeError(`not a permission bit: ${bit}`);
    return `EXISTS (SELECT 1 FROM acl_entries held
      WHERE held.resource_type = :aclResourceType AND held.resource_id = ${idColumn}
        AND (held.perm_bits & ${bit}) <> 0 AND ${principalMatch('held')})`;
  }

  /**
   * SQL selecting the ids of the first `:aclLimit` resources (newest `updated_at`, then id, first;
   * after the keyset position when `after`) on which user `:aclUserId` holds `bit` through any
   * grant. Each principal that applies (the user, each of their groups, the public) contributes one
   * ordered range of acl_entries_principal_idx of at most `:aclLimit` rows, so the cost follows the
   * page size and the user's group count — not how many resources exist or how many they can see.
   * Exact for a single bit; use restrictToGranted when several bits must come together.
   */
  firstGrantedIdsSql(bit: number, after: boolean): string {
    // Bits are literals so that the planner matches the partial index of that bit; VIEW is in
    // every grant (a CHECK), so it needs no condition at all.
    const range = (e: string) =>
      `${e}.resource_type = :aclResourceType` +
      (bit === PermissionBits.VIEW ? '' : ` AND (${e}.perm_bits & ${bit}) <> 0`) +
      (after ? ` AND (${e}.resource_updated_at, ${e}.resource_id) < (:aclAfterAt, :aclAfterId)` : '');
    const order = (e: string) => `ORDER BY ${e}.resource_updated_at DESC, ${e}.resource_id DESC LIMIT :aclLimit`;
    return `SELECT page.resource_id FROM (
        SELECT DISTINCT c.resource_id, c.resource_updated_at FROM (
          (SELECT u.resource_id, u.resource_updated_at FROM acl_entries u
            WHERE u.principal_type = 'user' AND u.principal_id = :aclUserId AND ${range('u')} ${order('u')})
          UNION ALL
          (SELECT g.resource_id, g.resource_updated_at FROM group_members gm CROSS JOIN LATERAL
            (SELECT g.resource_id, g.resource_updated_at FROM acl_entries g
              WHERE g.principal_type = 'group' AND g.principal_id = gm.group_id AND ${range('g')} ${order('g')}) g
            WHERE gm.user_id = :aclUserId)
          UNION ALL
          (SELECT p.resource_id, p.resource_updated_at FROM acl_entries p
            WHERE p.principal_type = 'public' AND ${range('p')} ${order('p')})
        ) c
        ORDER BY c.resource_updated_at DESC, c.resource_id DESC LIMIT :aclLimit
      ) page`;
  }

  grantsOn(
    resourceType: ResourceType,
    resourceId: string,
    m: EntityManager = this.db.manager,
  ): Promise<AclEntryEntity[]> {
    return m.find(AclEntryEntity, { where: { resourceType, resourceId }, order: { grantedAt: 'ASC', id: 'ASC' } });
  }

  /** Creates or replaces the grant of one principal on one resource. */
  async upsert(
    m: EntityManager,
    grant: GrantRow & { resourceType: ResourceType; resourceId: string; grantedBy: string },
  ): Promise<void> {
    await m.query(
      `INSERT INTO acl_entries (principal_type, principal_id, resource_type, resource_id, perm_bits, role_id, granted_by, granted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (resource_type, resource_id, principal_type, principal_id)
       DO UPDATE SET perm_bits = EXCLUDED.perm_bits, role_id = EXCLUDED.role_id,
                     granted_by = EXCLUDED.granted_by, granted_at = EXCLUDED.granted_at`,
      [
        grant.principalType,
        grant.principalId,
        grant.resourceType,
        grant.resourceId,
        grant.permBits,
        grant.roleId,
        grant.grantedBy,
      ],
    );
  }

  async remove(
    m: EntityManager,
    resourceType: ResourceType,
    resourceId: string,
    principalType: PrincipalType,
    principalId: string | null,
  ): Promise<void> {
    await m
      .createQueryBuilder()
      .delete()
      .from(AclEntryEntity)
      .where('resource_type = :resourceType AND resource_id = :resourceId AND principal_type = :principalType', {
        resourceType,
        resourceId,
        principalType,
      })
      .andWhere(principalId === null ? 'principal_id IS NULL' : 'principal_id = :principalId', { principalId })
      .execute();
  }

  /** Whether the resource has an owner grant that reaches a real user (see {@link liveOwner}). */
  async hasLiveOwner(m: EntityManager, resourceType: ResourceType, resourceId: string): Promise<boolean> {
    const [row] = await m.query<{ live: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM acl_entries o
         WHERE o.resource_type = $1 AND o.resource_id = $2 AND ${liveOwner('o', '$3', '$4')}) AS live`,
      [resourceType, resourceId, null, null],
    );
    return row?.live === true;
  }

  /**
   * Locks, for the rest of `m`'s transaction, every grant on every resource that group `groupId`
   * owns, in one order (so two such locks never deadlock). Sharing changes and other groups'
   * removals touching those resources' owners then wait for the transaction.
   */
  async lockOwnedThroughGroup(m: EntityManager, groupId: string): Promise<void> {
    await m.query(
      `SELECT e.id FROM acl_entries e
        WHERE (e.resource_type, e.resource_id) IN (
          SELECT g.resource_type, g.resource_id FROM acl_entries g
           WHERE g.principal_type = 'group' AND g.principal_id = $1 AND g.role_id = $2)
        ORDER BY e.id FOR UPDATE`,
      [groupId, OWNER_ROLE],
    );
  }

  /**
   * The resources group `groupId` owns that would have no live owner left if the group went away
   * (`userId` undefined) or lost its member `userId`. At most `limit`, ordered by id.
   */
  async ownedOnlyThrough(
    m: EntityManager,
    groupId: string,
    userId: string | undefined,
    limit: number,
  ): Promise<ResourceKey[]> {
    const rows = await m.query<{ resource_type: ResourceType; resource_id: string }[]>(
      `SELECT g.resource_type, g.resource_id FROM acl_entries g
        WHERE g.principal_type = 'group' AND g.principal_id = $1 AND g.role_id = $3
          AND NOT EXISTS (SELECT 1 FROM acl_entries o
                           WHERE o.resource_type = g.resource_type AND o.resource_id = g.resource_id
                             AND ${liveOwner('o', '$1', '$2')})
        ORDER BY g.resource_id LIMIT $4`,
      [groupId, userId ?? null, OWNER_ROLE, limit],
    );
    return rows.map((r) => ({ resourceType: r.resource_type, resourceId: r.resource_id }));
  }

  /** Which of `resourceIds` have a public grant. */
  async withPublicGrant(resourceType: ResourceType, resourceIds: string[]): Promise<Set<string>> {
    if (resourceIds.length === 0) return new Set();
    const rows = await this.db.manager
      .createQueryBuilder(AclEntryEntity, 'e')
      .select('e.resource_id', 'id')
      .where("e.resource_type = :resourceType AND e.principal_type = 'public' AND e.resource_id = ANY(:resourceIds)", {
        resourceType,
        resourceIds,
      })
      .getRawMany<{ id: string }>();
    return new Set(rows.map((r) => r.id));
  }
}
