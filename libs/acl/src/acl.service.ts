import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { GroupsRepository, UsersRepository, type AuthUser } from '@agents/auth';
import { ConflictError, DatabaseService, ForbiddenError, ValidationFailedError, type FieldProblem } from '@agents/core';
import { AbilityFactory, type ResourceRef } from './ability.factory';
import type { PrincipalType, ResourceType } from './acl-entry.entity';
import { AclRepository } from './acl.repository';
import type { PrincipalSearchResultDto, ResourcePermissionsDto, UpdatePermissionsDto } from './dto/sharing.dto';
import { ALL_PERMISSIONS, OWNER_ROLE, permissionNames, roleBits, type Action } from './permission-bits';

const RESOURCE_TYPE: Record<ResourceRef['type'], ResourceType> = { Agent: 'agent' };
const DEFAULT_PUBLIC_ROLE = 'agent_viewer';

function key(type: PrincipalType, id: string | null): string {
  return `${type}:${id ?? ''}`;
}

/** Grants, effective permissions and the sharing rules, for any resource type. */
@Injectable()
export class AclService {
  constructor(
    private readonly db: DatabaseService,
    private readonly acl: AclRepository,
    private readonly abilities: AbilityFactory,
    private readonly users: UsersRepository,
    private readonly groups: GroupsRepository,
  ) {}

  /** The caller's bits on a resource: the OR of their grants, their groups' and the public one. */
  effectiveBits(user: AuthUser, resource: ResourceRef, m?: EntityManager): Promise<number> {
    if (user.role === 'ADMIN') return Promise.resolve(ALL_PERMISSIONS);
    return this.acl.effectiveBits(user.id, RESOURCE_TYPE[resource.type], resource.id, m);
  }

  /** Throws 404 (no VIEW) or 403 (VIEW but not `action`); returns the caller's bits. */
  async assertCan(user: AuthUser, resource: ResourceRef, action: Action, m?: EntityManager): Promise<number> {
    const bits = await this.effectiveBits(user, resource, m);
    this.abilities.assertCan(this.abilities.forResource(user, resource, bits), action, resource);
    return bits;
  }

  async effective(user: AuthUser, resource: ResourceRef): Promise<{ permissionBits: number; permissions: string[] }> {
    const bits = await this.assertCan(user, resource, 'view');
    return { permissionBits: bits, permissions: permissionNames(bits) };
  }

  /** Makes the creator of a new resource its owner, inside the transaction that creates it. */
  grantOwner(m: EntityManager, user: AuthUser, resource: ResourceRef): Promise<void> {
    return this.acl.upsert(m, {
      resourceType: RESOURCE_TYPE[resource.type],
      resourceId: resource.id,
      principalType: 'user',
      principalId: user.id,
      roleId: OWNER_ROLE,
      permBits: ALL_PERMISSIONS,
      grantedBy: user.id,
    });
  }

  async publicIds(resourceType: ResourceRef['type'], ids: string[]): Promise<Set<string>> {
    return this.acl.withPublicGrant(RESOURCE_TYPE[resourceType], ids);
  }

  async sharingState(resource: ResourceRef, m: EntityManager = this.db.manager): Promise<ResourcePermissionsDto> {
    const grants = await this.acl.grantsOn(RESOURCE_TYPE[resource.type], resource.id, m);
    const userIds = grants.filter((g) => g.principalType === 'user').map((g) => g.principalId!);
    const groupIds = grants.filter((g) => g.principalType === 'group').map((g) => g.principalId!);
    const [users, groups] = await Promise.all([this.users.findByIds(userIds, m), this.groups.findByIds(groupIds, m)]);
    const names = new Map<string, { name: string; email?: string }>([
      ...users.map((u) => [key('user', u.id), { name: u.name, email: u.email }] as const),
      ...groups.map((g) => [key('group', g.id), { name: g.name }] as const),
    ]);
    const publicGrant = grants.find((g) => g.principalType === 'public');
    return {
      resourceType: RESOURCE_TYPE[resource.type],
      resourceId: resource.id,
      principals: grants
        .filter((g) => g.principalType !== 'public')
        .map((g) => ({
          type: g.principalType as 'user' | 'group',
          id: g.principalId!,
          ...(names.get(key(g.principalType, g.principalId)) ?? { name: '(deleted)' }),
          accessRoleId: g.roleId,
          permBits: g.permBits,
        })),
      public: publicGrant !== undefined,
      publicAccessRoleId: publicGrant?.roleId ?? null,
    };
  }

  /**
   * Applies a sharing change inside the caller's transaction `m` (every query of it runs on `m`:
   * the embedded database has a single connection). The transaction must already hold the
   * resource's row lock, so concurrent sharers apply one after the other). Rules: the caller needs
   * SHARE; nobody grants bits they do not hold, nor changes or removes a grant holding bits they do
   * not hold; principals must exist; the last owner cannot be removed (an owner is a user, or a
   * group with members).
   */
  async applyUpdate(m: EntityManager, user: AuthUser, resource: ResourceRef, dto: UpdatePermissionsDto): Promise<void> {
    const callerBits = await this.assertCan(user, resource, 'share', m);
    const resourceType = RESOURCE_TYPE[resource.type];
    await this.validatePrincipals(m, dto);
    const existing = new Map(
      (await this.acl.grantsOn(resourceType, resource.id, m)).map((g) => [key(g.principalType, g.principalId), g]),
    );
    const assertHolds = (bits: number, what: string): void => {
      const missing = bits & ~callerBits;
      if (missing !== 0) {
        throw new ForbiddenError(
          `You cannot ${what}: it involves ${permissionNames(missing).join(', ')}, which you do not hold`,
        );
      }
    };
    const change = async (type: PrincipalType, id: string | null, roleId: string | null, label: string) => {
      const current = existing.get(key(type, id));
      if (current) assertHolds(current.permBits, `change the grant of ${label}`);
      if (roleId === null) {
        if (current) await this.acl.remove(m, resourceType, resource.id, type, id);
        return;
      }
      const permBits = roleBits(roleId)!;
      assertHolds(permBits, `grant ${roleId} to ${label}`);
      await this.acl.upsert(m, {
        resourceType,
        resourceId: resource.id,
        principalType: type,
        principalId: id,
        roleId,
        permBits,
        grantedBy: user.id,
      });
    };

    for (const r of dto.removed) await change(r.type, r.id, null, `${r.type} ${r.id}`);
    for (const u of dto.updated) await change(u.type, u.id, u.accessRoleId, `${u.type} ${u.id}`);
    if (dto.public !== undefined) {
      await change('public', null, dto.public ? (dto.publicAccessRoleId ?? DEFAULT_PUBLIC_ROLE) : null, 'the public');
    }

    // An owner grant counts when it reaches a real user: an empty group owns nothing anyone can use.
    if (!(await this.acl.hasLiveOwner(m, resourceType, resource.id))) {
      throw new ConflictError(
        'The last owner cannot be removed; grant agent_owner to another user, or to a group with members, first',
      );
    }
  }

  async searchPrincipals(q: string, limit: number): Promise<PrincipalSearchResultDto[]> {
    const [users, groups] = await Promise.all([this.users.search(q, limit), this.groups.search(q, limit)]);
    return [
      ...users.map((u) => ({ type: 'user' as const, id: u.id, name: u.name, email: u.email })),
      ...groups.map((g) => ({ type: 'group' as const, id: g.id, name: g.name })),
    ].slice(0, limit);
  }

  /** Rejects contradictory or unknown principals with a 400 naming the field. */
  private async validatePrincipals(m: EntityManager, dto: UpdatePermissionsDto): Promise<void> {
    const problems: FieldProblem[] = [];
    if (dto.publicAccessRoleId !== undefined && dto.public !== true) {
      problems.push({ field: 'publicAccessRoleId', message: 'publicAccessRoleId needs public: true' });
    }
    if (dto.publicAccessRoleId === OWNER_ROLE) {
      problems.push({
        field: 'publicAccessRoleId',
        message: 'everyone cannot own an agent; choose agent_viewer, agent_user or agent_editor',
      });
    }
    const seen = new Map<string, string>();
    const all = [
      ...dto.updated.map((p, i) => ({ ...p, field: `updated[${i}]` })),
      ...dto.removed.map((p, i) => ({ ...p, field: `removed[${i}]` })),
    ];
    for (const p of all) {
      const k = key(p.type, p.id);
      const first = seen.get(k);
      if (first) problems.push({ field: p.field, message: `${p.type} ${p.id} also appears in ${first}` });
      else seen.set(k, p.field);
    }
    const userIds = all.filter((p) => p.type === 'user').map((p) => p.id);
    const groupIds = all.filter((p) => p.type === 'group').map((p) => p.id);
    const [users, groups] = await Promise.all([this.users.findByIds(userIds, m), this.groups.findByIds(groupIds, m)]);
    const known = new Set([...users.map((u) => key('user', u.id)), ...groups.map((g) => key('group', g.id))]);
    for (const p of dto.updated.map((u, i) => ({ ...u, field: `updated[${i}].id` }))) {
      if (!known.has(key(p.type, p.id))) problems.push({ field: p.field, message: `${p.type} ${p.id} does not exist` });
    }
    if (problems.length > 0) throw new ValidationFailedError(problems);
  }
}
