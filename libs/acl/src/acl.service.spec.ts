import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AuthUser, GroupEntity, GroupsRepository, UserEntity, UsersRepository } from '@agents/auth';
import {
  ConflictError,
  type DatabaseService,
  ForbiddenError,
  NotFoundError,
  ValidationFailedError,
  newAgentId,
} from '@agents/core';
import { authUser } from '@agents/testing/entity-factories';
import { AbilityFactory, type ResourceRef } from './ability.factory';
import type { AclEntryEntity, PrincipalType } from './acl-entry.entity';
import type { AclRepository, GrantRow } from './acl.repository';
import { AclService } from './acl.service';
import { UpdatePermissionsDto } from './dto/sharing.dto';
import { PermissionBits, roleBits } from './permission-bits';

const { VIEW, EDIT, SHARE, USE } = PermissionBits;

let grantSeq = 0;
function grant(resourceId: string, principalType: PrincipalType, principalId: string | null, roleId: string) {
  grantSeq += 1;
  return {
    id: String(grantSeq),
    principalType,
    principalId,
    resourceType: 'agent',
    resourceId,
    permBits: roleBits(roleId)!,
    roleId,
    grantedBy: null,
    grantedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, grantSeq)),
    resourceUpdatedAt: new Date(Date.UTC(2026, 0, 1)),
  } satisfies AclEntryEntity;
}

function userRow(overrides: Partial<UserEntity> = {}): UserEntity {
  const id = randomUUID();
  return { id, email: `${id}@example.com`, name: `User ${id.slice(0, 4)}`, role: 'USER', ...overrides } as UserEntity;
}

function groupRow(overrides: Partial<GroupEntity> = {}): GroupEntity {
  const id = randomUUID();
  return { id, name: `Group ${id.slice(0, 4)}`, description: null, ...overrides } as GroupEntity;
}

function updateDto(fields: Partial<UpdatePermissionsDto> = {}): UpdatePermissionsDto {
  return Object.assign(new UpdatePermissionsDto(), fields);
}

/**
 * The service over an in-memory grants table for one agent. The caller's effective bits come from
 * `callerBits` (as if the repository had OR-ed their grants); `users`/`groups` are the principals
 * that exist.
 */
function setup(
  options: {
    callerBits?: number;
    caller?: AuthUser;
    grants?: (resourceId: string) => AclEntryEntity[];
    users?: UserEntity[];
    groups?: GroupEntity[];
    /** Groups that exist but have no members (their owner grants reach nobody). */
    emptyGroups?: string[];
  } = {},
) {
  const resource: ResourceRef = { type: 'Agent', id: newAgentId() };
  const caller = options.caller ?? authUser();
  const manager = { fake: 'transaction manager' } as unknown as EntityManager;
  let store = (options.grants?.(resource.id) ?? []).map((g) => ({ ...g }));
  const users = options.users ?? [];
  const groups = options.groups ?? [];
  const sameKey = (g: AclEntryEntity, type: PrincipalType, id: string | null) =>
    g.principalType === type && g.principalId === id;

  const acl = {
    effectiveBits: jest.fn(() => Promise.resolve(options.callerBits ?? 0)),
    grantsOn: jest.fn(() => Promise.resolve(store.map((g) => ({ ...g })))),
    upsert: jest.fn(
      (_m: EntityManager, g: GrantRow & { resourceType: 'agent'; resourceId: string; grantedBy: string }) => {
        const current = store.find((s) => sameKey(s, g.principalType, g.principalId));
        if (current) Object.assign(current, { permBits: g.permBits, roleId: g.roleId, grantedBy: g.grantedBy });
        else store.push({ ...grant(g.resourceId, g.principalType, g.principalId, g.roleId), grantedBy: g.grantedBy });
        return Promise.resolve();
      },
    ),
    remove: jest.fn((_m: EntityManager, _rt: string, _rid: string, type: PrincipalType, id: string | null) => {
      store = store.filter((s) => !sameKey(s, type, id));
      return Promise.resolve();
    }),
    withPublicGrant: jest.fn(),
    // As the SQL decides it: an owner grant to an existing user, or to a group with members.
    hasLiveOwner: jest.fn(() =>
      Promise.resolve(
        store.some(
          (g) =>
            g.roleId === 'agent_owner' &&
            ((g.principalType === 'user' && users.some((u) => u.id === g.principalId)) ||
              (g.principalType === 'group' &&
                groups.some((gr) => gr.id === g.principalId) &&
                !(options.emptyGroups ?? []).includes(g.principalId!))),
        ),
      ),
    ),
  };
  const usersRepo = {
    findByIds: jest.fn((ids: string[]) => Promise.resolve(users.filter((u) => ids.includes(u.id)))),
    search: jest.fn(() => Promise.resolve(users)),
  };
  const groupsRepo = {
    findByIds: jest.fn((ids: string[]) => Promise.resolve(groups.filter((g) => ids.includes(g.id)))),
    search: jest.fn(() => Promise.resolve(groups)),
  };
  const db = { manager: { fake: 'default manager' } };
  const service = new AclService(
    db as unknown as DatabaseService,
    acl as unknown as AclRepository,
    new AbilityFactory(),
    usersRepo as unknown as UsersRepository,
    groupsRepo as unknown as GroupsRepository,
  );
  const apply = (dto: Partial<UpdatePermissionsDto>) => service.applyUpdate(manager, caller, resource, updateDto(dto));
  const stored = () =>
    store
      .map((g) => ({ type: g.principalType, id: g.principalId, roleId: g.roleId, permBits: g.permBits }))
      .sort((a, b) => `${a.type}${a.id}`.localeCompare(`${b.type}${b.id}`));
  return { service, resource, caller, manager, acl, usersRepo, groupsRepo, apply, stored };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('AclService.effectiveBits', () => {
  it('gives ADMIN every bit without asking the repository', async () => {
    const { service, resource, acl } = setup({ callerBits: 0 });
    await expect(service.effectiveBits(authUser({ role: 'ADMIN' }), resource)).resolves.toBe(31);
    expect(acl.effectiveBits).not.toHaveBeenCalled();
  });

  it("asks the repository for a USER's bits on the agent, on the given manager", async () => {
    const { service, resource, acl, caller, manager } = setup({ callerBits: VIEW | USE });
    await expect(service.effectiveBits(caller, resource, manager)).resolves.toBe(17);
    expect(acl.effectiveBits).toHaveBeenCalledWith(caller.id, 'agent', resource.id, manager);
  });
});

describe('AclService.effective', () => {
  it('names the bits of a caller who may view', async () => {
    const { service, resource, caller } = setup({ callerBits: VIEW | EDIT | USE });
    await expect(service.effective(caller, resource)).resolves.toEqual({
      permissionBits: 19,
      permissions: ['VIEW', 'EDIT', 'USE'],
    });
  });

  it('is a 404 for a caller without VIEW', async () => {
    const { service, resource, caller } = setup({ callerBits: USE });
    await expect(service.effective(caller, resource)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('AclService.applyUpdate: who may share', () => {
  it('refuses a caller with VIEW but no SHARE, before looking at any principal or grant', async () => {
    const target = userRow();
    const { apply, acl, usersRepo } = setup({ callerBits: 31 & ~SHARE, users: [target] });
    const err = await rejection(apply({ updated: [{ type: 'user', id: target.id, accessRoleId: 'agent_viewer' }] }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toContain('SHARE');
    expect(usersRepo.findByIds).not.toHaveBeenCalled();
    expect(acl.upsert).not.toHaveBeenCalled();
  });

  it('answers 404 to a caller who cannot even view the agent', async () => {
    const { apply, acl } = setup({ callerBits: 0 });
    await expect(apply({ public: true })).rejects.toBeInstanceOf(NotFoundError);
    expect(acl.upsert).not.toHaveBeenCalled();
  });

  it('lets ADMIN grant any role without holding a grant, and without asking for its bits', async () => {
    const owner = userRow();
    const target = userRow();
    const { apply, acl, stored } = setup({
      caller: authUser({ role: 'ADMIN' }),
      grants: (id) => [grant(id, 'user', owner.id, 'agent_owner')],
      users: [owner, target],
    });
    await apply({ updated: [{ type: 'user', id: target.id, accessRoleId: 'agent_owner' }] });
    expect(acl.effectiveBits).not.toHaveBeenCalled();
    expect(stored()).toContainEqual({ type: 'user', id: target.id, roleId: 'agent_owner', permBits: 31 });
  });
});

describe('AclService.applyUpdate: nobody grants bits they do not hold', () => {
  const owner = userRow();
  const withOwner = (id: string) => [grant(id, 'user', owner.id, 'agent_owner')];

  it('refuses to grant agent_user to a caller holding VIEW|SHARE, naming USE', async () => {
    const target = userRow();
    const { apply, acl } = setup({ callerBits: VIEW | SHARE, grants: withOwner, users: [owner, target] });
    const err = await rejection(apply({ updated: [{ type: 'user', id: target.id, accessRoleId: 'agent_user' }] }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toContain('agent_user');
    expect(err.message).toMatch(/\bUSE\b/);
    expect(err.message).not.toMatch(/\bVIEW\b|\bSHARE\b/);
    expect(acl.upsert).not.toHaveBeenCalled();
  });

  it('names every missing permission, and only those (agent_editor with VIEW|SHARE|USE lacks EDIT)', async () => {
    const group = groupRow();
    const { apply } = setup({ callerBits: VIEW | SHARE | USE, grants: withOwner, users: [owner], groups: [group] });
    const err = await rejection(apply({ updated: [{ type: 'group', id: group.id, accessRoleId: 'agent_editor' }] }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toMatch(/involves EDIT, which/);
  });

  it('refuses agent_owner to an editor who also has SHARE, naming DELETE', async () => {
    const target = userRow();
    const { apply } = setup({ callerBits: VIEW | EDIT | USE | SHARE, grants: withOwner, users: [owner, target] });
    const err = await rejection(apply({ updated: [{ type: 'user', id: target.id, accessRoleId: 'agent_owner' }] }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toMatch(/involves DELETE, which/);
  });

  it('refuses a public grant whose role holds bits the caller lacks', async () => {
    const { apply, acl } = setup({ callerBits: VIEW | SHARE, grants: withOwner, users: [owner] });
    const err = await rejection(apply({ public: true, publicAccessRoleId: 'agent_user' }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toMatch(/\bUSE\b/);
    expect(acl.upsert).not.toHaveBeenCalled();
  });

  it('grants a role within the caller’s bits, recording the caller as granter, on the transaction', async () => {
    const target = userRow();
    const { apply, acl, stored, caller, manager, resource } = setup({
      callerBits: VIEW | SHARE | USE,
      grants: withOwner,
      users: [owner, target],
    });
    await apply({ updated: [{ type: 'user', id: target.id, accessRoleId: 'agent_user' }] });
    expect(acl.upsert).toHaveBeenCalledWith(manager, {
      resourceType: 'agent',
      resourceId: resource.id,
      principalType: 'user',
      principalId: target.id,
      roleId: 'agent_user',
      permBits: 17,
      grantedBy: caller.id,
    });
    expect(stored()).toContainEqual({ type: 'user', id: target.id, roleId: 'agent_user', permBits: 17 });
  });

  it('refuses to change a grant that holds bits the caller lacks, even to a lesser role', async () => {
    const editor = userRow();
    const { apply, acl } = setup({
      callerBits: VIEW | SHARE,
      grants: (id) => [...withOwner(id), grant(id, 'user', editor.id, 'agent_editor')],
      users: [owner, editor],
    });
    const err = await rejection(apply({ updated: [{ type: 'user', id: editor.id, accessRoleId: 'agent_viewer' }] }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toContain('change the grant');
    expect(err.message).toMatch(/EDIT, USE/);
    expect(acl.upsert).not.toHaveBeenCalled();
  });

  it('refuses to remove a grant that holds bits the caller lacks', async () => {
    const group = groupRow();
    const { apply, acl } = setup({
      callerBits: VIEW | SHARE,
      grants: (id) => [...withOwner(id), grant(id, 'group', group.id, 'agent_user')],
      users: [owner],
      groups: [group],
    });
    const err = await rejection(apply({ removed: [{ type: 'group', id: group.id }] }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toMatch(/\bUSE\b/);
    expect(acl.remove).not.toHaveBeenCalled();
  });

  it('refuses to remove a public grant that holds bits the caller lacks', async () => {
    const { apply, acl } = setup({
      callerBits: VIEW | SHARE,
      grants: (id) => [...withOwner(id), grant(id, 'public', null, 'agent_user')],
      users: [owner],
    });
    await expect(apply({ public: false })).rejects.toBeInstanceOf(ForbiddenError);
    expect(acl.remove).not.toHaveBeenCalled();
  });

  it('lets a caller change and remove grants within their bits', async () => {
    const viewer = userRow();
    const group = groupRow();
    const { apply, stored } = setup({
      callerBits: VIEW | SHARE | USE,
      grants: (id) => [
        ...withOwner(id),
        grant(id, 'user', viewer.id, 'agent_viewer'),
        grant(id, 'group', group.id, 'agent_user'),
      ],
      users: [owner, viewer],
      groups: [group],
    });
    await apply({
      updated: [{ type: 'user', id: viewer.id, accessRoleId: 'agent_user' }],
      removed: [{ type: 'group', id: group.id }],
    });
    expect(stored()).toEqual(
      [
        { type: 'user', id: owner.id, roleId: 'agent_owner', permBits: 31 },
        { type: 'user', id: viewer.id, roleId: 'agent_user', permBits: 17 },
      ].sort((a, b) => `${a.type}${a.id}`.localeCompare(`${b.type}${b.id}`)),
    );
  });
});

describe('AclService.applyUpdate: validation', () => {
  const owner = userRow();
  const withOwner = (id: string) => [grant(id, 'user', owner.id, 'agent_owner')];

  it('rejects an unknown user with a 400 naming updated[0].id, and writes nothing', async () => {
    const ghost = randomUUID();
    const { apply, acl } = setup({ callerBits: 31, grants: withOwner, users: [owner] });
    const err = await rejection(apply({ updated: [{ type: 'user', id: ghost, accessRoleId: 'agent_viewer' }] }));
    expect(err).toBeInstanceOf(ValidationFailedError);
    expect((err as ValidationFailedError).details).toEqual([
      { field: 'updated[0].id', message: `user ${ghost} does not exist` },
    ]);
    expect(acl.upsert).not.toHaveBeenCalled();
  });

  it('checks the principal type: a user id given as a group is unknown', async () => {
    const real = userRow();
    const group = groupRow();
    const { apply } = setup({ callerBits: 31, grants: withOwner, users: [owner, real], groups: [group] });
    const err = await rejection(
      apply({
        updated: [
          { type: 'group', id: group.id, accessRoleId: 'agent_viewer' },
          { type: 'group', id: real.id, accessRoleId: 'agent_viewer' },
        ],
      }),
    );
    expect((err as ValidationFailedError).details.map((d) => d.field)).toEqual(['updated[1].id']);
  });

  it('rejects the same principal in updated and removed, naming both places', async () => {
    const target = userRow();
    const { apply, acl } = setup({ callerBits: 31, grants: withOwner, users: [owner, target] });
    const err = await rejection(
      apply({
        updated: [{ type: 'user', id: target.id, accessRoleId: 'agent_viewer' }],
        removed: [{ type: 'user', id: target.id }],
      }),
    );
    expect(err).toBeInstanceOf(ValidationFailedError);
    expect((err as ValidationFailedError).details).toEqual([
      { field: 'removed[0]', message: `user ${target.id} also appears in updated[0]` },
    ]);
    expect(acl.upsert).not.toHaveBeenCalled();
    expect(acl.remove).not.toHaveBeenCalled();
  });

  it('rejects the same principal twice in updated', async () => {
    const group = groupRow();
    const { apply } = setup({ callerBits: 31, grants: withOwner, users: [owner], groups: [group] });
    const err = await rejection(
      apply({
        updated: [
          { type: 'group', id: group.id, accessRoleId: 'agent_viewer' },
          { type: 'group', id: group.id, accessRoleId: 'agent_user' },
        ],
      }),
    );
    expect((err as ValidationFailedError).details.map((d) => d.field)).toEqual(['updated[1]']);
  });

  it.each([[undefined], [false]])('rejects publicAccessRoleId with public %p, naming it', async (publicFlag) => {
    const { apply, acl } = setup({ callerBits: 31, grants: withOwner, users: [owner] });
    const err = await rejection(apply({ public: publicFlag, publicAccessRoleId: 'agent_viewer' }));
    expect(err).toBeInstanceOf(ValidationFailedError);
    expect((err as ValidationFailedError).details.map((d) => d.field)).toEqual(['publicAccessRoleId']);
    expect(acl.upsert).not.toHaveBeenCalled();
    expect(acl.remove).not.toHaveBeenCalled();
  });

  it('refuses agent_owner as the public role, naming publicAccessRoleId', async () => {
    const { apply, acl } = setup({ callerBits: 31, grants: withOwner, users: [owner] });
    const err = await rejection(apply({ public: true, publicAccessRoleId: 'agent_owner' }));
    expect(err).toBeInstanceOf(ValidationFailedError);
    expect((err as ValidationFailedError).details.map((d) => d.field)).toEqual(['publicAccessRoleId']);
    expect(acl.upsert).not.toHaveBeenCalled();
  });

  it('lets a grant of a principal that no longer exists be removed', async () => {
    const gone = randomUUID();
    const { apply, stored } = setup({
      callerBits: 31,
      grants: (id) => [...withOwner(id), grant(id, 'user', gone, 'agent_viewer')],
      users: [owner],
    });
    await apply({ removed: [{ type: 'user', id: gone }] });
    expect(stored()).toEqual([{ type: 'user', id: owner.id, roleId: 'agent_owner', permBits: 31 }]);
  });
});

describe('AclService.applyUpdate: owners', () => {
  it('refuses to remove the last owner with a 409', async () => {
    const owner = userRow();
    const { apply } = setup({
      callerBits: 31,
      grants: (id) => [grant(id, 'user', owner.id, 'agent_owner')],
      users: [owner],
    });
    await expect(apply({ removed: [{ type: 'user', id: owner.id }] })).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses to demote the last owner with a 409', async () => {
    const owner = userRow();
    const { apply } = setup({
      callerBits: 31,
      grants: (id) => [grant(id, 'user', owner.id, 'agent_owner')],
      users: [owner],
    });
    await expect(
      apply({ updated: [{ type: 'user', id: owner.id, accessRoleId: 'agent_editor' }] }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('does not count a public agent_owner grant as an owner', async () => {
    const owner = userRow();
    const { apply } = setup({
      callerBits: 31,
      grants: (id) => [grant(id, 'user', owner.id, 'agent_owner'), grant(id, 'public', null, 'agent_owner')],
      users: [owner],
    });
    await expect(apply({ removed: [{ type: 'user', id: owner.id }] })).rejects.toBeInstanceOf(ConflictError);
  });

  it('does not count an owner grant to a group without members as an owner', async () => {
    const owner = userRow();
    const empty = groupRow();
    const { apply, acl, manager, resource } = setup({
      callerBits: 31,
      grants: (id) => [grant(id, 'user', owner.id, 'agent_owner')],
      users: [owner],
      groups: [empty],
      emptyGroups: [empty.id],
    });
    await expect(
      apply({
        updated: [{ type: 'group', id: empty.id, accessRoleId: 'agent_owner' }],
        removed: [{ type: 'user', id: owner.id }],
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(acl.hasLiveOwner).toHaveBeenCalledWith(manager, 'agent', resource.id);
  });

  it('lets ownership pass to a group in the same update that removes the old owner', async () => {
    const owner = userRow();
    const group = groupRow();
    const { apply, stored } = setup({
      callerBits: 31,
      grants: (id) => [grant(id, 'user', owner.id, 'agent_owner')],
      users: [owner],
      groups: [group],
    });
    await apply({
      updated: [{ type: 'group', id: group.id, accessRoleId: 'agent_owner' }],
      removed: [{ type: 'user', id: owner.id }],
    });
    expect(stored()).toEqual([{ type: 'group', id: group.id, roleId: 'agent_owner', permBits: 31 }]);
  });
});

describe('AclService.applyUpdate: public', () => {
  const owner = userRow();
  const withOwner = (id: string) => [grant(id, 'user', owner.id, 'agent_owner')];

  it('public: true without a role grants the public agent_viewer', async () => {
    const { apply, acl, manager, resource, caller } = setup({ callerBits: 31, grants: withOwner, users: [owner] });
    await apply({ public: true });
    expect(acl.upsert).toHaveBeenCalledTimes(1);
    expect(acl.upsert).toHaveBeenCalledWith(manager, {
      resourceType: 'agent',
      resourceId: resource.id,
      principalType: 'public',
      principalId: null,
      roleId: 'agent_viewer',
      permBits: 1,
      grantedBy: caller.id,
    });
  });

  it('public: true with a role grants that role', async () => {
    const { apply, stored } = setup({ callerBits: VIEW | SHARE | USE, grants: withOwner, users: [owner] });
    await apply({ public: true, publicAccessRoleId: 'agent_user' });
    expect(stored()).toContainEqual({ type: 'public', id: null, roleId: 'agent_user', permBits: 17 });
  });

  it('public: false removes the public grant', async () => {
    const { apply, acl, manager, resource, stored } = setup({
      callerBits: 31,
      grants: (id) => [...withOwner(id), grant(id, 'public', null, 'agent_viewer')],
      users: [owner],
    });
    await apply({ public: false });
    expect(acl.remove).toHaveBeenCalledWith(manager, 'agent', resource.id, 'public', null);
    expect(stored()).toEqual([{ type: 'user', id: owner.id, roleId: 'agent_owner', permBits: 31 }]);
  });

  it('leaves the public grant alone when public is omitted', async () => {
    const target = userRow();
    const { apply, acl, stored } = setup({
      callerBits: 31,
      grants: (id) => [...withOwner(id), grant(id, 'public', null, 'agent_user')],
      users: [owner, target],
    });
    await apply({ updated: [{ type: 'user', id: target.id, accessRoleId: 'agent_viewer' }] });
    expect(acl.remove).not.toHaveBeenCalled();
    expect(stored()).toContainEqual({ type: 'public', id: null, roleId: 'agent_user', permBits: 17 });
  });
});

describe('AclService.sharingState', () => {
  it('names users and groups, marks vanished principals, and reports the public grant apart', async () => {
    const ada = userRow({ name: 'Ada', email: 'ada@example.com' });
    const team = groupRow({ name: 'Platform' });
    const gone = randomUUID();
    const { service, resource } = setup({
      grants: (id) => [
        grant(id, 'user', ada.id, 'agent_owner'),
        grant(id, 'group', team.id, 'agent_user'),
        grant(id, 'public', null, 'agent_viewer'),
        grant(id, 'user', gone, 'agent_editor'),
      ],
      users: [ada],
      groups: [team],
    });
    await expect(service.sharingState(resource)).resolves.toEqual({
      resourceType: 'agent',
      resourceId: resource.id,
      principals: [
        { type: 'user', id: ada.id, name: 'Ada', email: 'ada@example.com', accessRoleId: 'agent_owner', permBits: 31 },
        { type: 'group', id: team.id, name: 'Platform', accessRoleId: 'agent_user', permBits: 17 },
        { type: 'user', id: gone, name: '(deleted)', accessRoleId: 'agent_editor', permBits: 19 },
      ],
      public: true,
      publicAccessRoleId: 'agent_viewer',
    });
  });

  it('reports no public grant as public false with a null role', async () => {
    const ada = userRow();
    const { service, resource } = setup({ grants: (id) => [grant(id, 'user', ada.id, 'agent_owner')], users: [ada] });
    await expect(service.sharingState(resource)).resolves.toMatchObject({ public: false, publicAccessRoleId: null });
  });
});

describe('AclService.searchPrincipals', () => {
  it('lists users before groups and keeps at most `limit` in all', async () => {
    const users = [userRow({ name: 'Ann' }), userRow({ name: 'Anna' })];
    const groups = [groupRow({ name: 'Analytics' })];
    const { service, usersRepo, groupsRepo } = setup({ users, groups });
    const found = await service.searchPrincipals('an', 2);
    expect(found).toEqual([
      { type: 'user', id: users[0].id, name: 'Ann', email: users[0].email },
      { type: 'user', id: users[1].id, name: 'Anna', email: users[1].email },
    ]);
    expect(usersRepo.search).toHaveBeenCalledWith('an', 2);
    expect(groupsRepo.search).toHaveBeenCalledWith('an', 2);
    expect(await service.searchPrincipals('an', 5)).toContainEqual({
      type: 'group',
      id: groups[0].id,
      name: 'Analytics',
    });
  });
});
