import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { AclEntryEntity, AclRepository } from '@agents/acl';
import { GroupEntity, GroupMemberEntity, type UserEntity } from '@agents/auth';
import { agentEntity, at, orderedAgentId, T0 } from '@agents/testing/entity-factories';
import {
  type GrantInput,
  type IntegrationDatabase,
  addGroupMembers,
  insertAgentRow,
  insertGrant,
  insertGroup,
  insertUser,
  openIntegrationDatabase,
} from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let acl: AclRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  acl = new AclRepository(database.db);
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  await database.dataSource.query('TRUNCATE agents, users, groups, group_members, acl_entries CASCADE');
});

/**
 * An agent row with no grants at all (grants are added explicitly by each test), inserted directly:
 * acl is generic over resources and does not depend on the agents library. Which agents a user sees
 * through these grants is tested with AgentsRepository in libs/agents (agents-visibility.int-spec.ts).
 */
function insertAgent(author: string, overrides: Parameters<typeof agentEntity>[1] = {}) {
  return insertAgentRow(
    database.dataSource,
    agentEntity(author, { id: orderedAgentId(), updatedAt: T0, createdAt: T0, ...overrides }),
  );
}

const user = () => insertUser(database.dataSource);
const grant = (g: GrantInput) => insertGrant(database.dataSource, g);
async function groupOf(...members: UserEntity[]): Promise<GroupEntity> {
  const creator = await user();
  const group = await insertGroup(database.dataSource, creator.id);
  await addGroupMembers(database.dataSource, group.id, ...members.map((m) => m.id));
  return group;
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

async function grantsRows(resourceId?: string) {
  const rows = await database.dataSource.manager.find(AclEntryEntity, {
    where: resourceId === undefined ? {} : { resourceId },
    order: { id: 'ASC' },
  });
  return rows.map((r) => ({
    principalType: r.principalType,
    principalId: r.principalId,
    resourceId: r.resourceId,
    roleId: r.roleId,
    permBits: r.permBits,
  }));
}

describe('AclRepository.effectiveBits', () => {
  it('ORs the user grant with a group grant (viewer via user + agent_user via group = 17)', async () => {
    const ann = await user();
    const team = await groupOf(ann);
    const agent = await insertAgent(ann.id);
    await grant({ principalType: 'user', principalId: ann.id, resourceId: agent.id, roleId: 'agent_viewer' });
    await grant({ principalType: 'group', principalId: team.id, resourceId: agent.id, roleId: 'agent_user' });
    expect(await acl.effectiveBits(ann.id, 'agent', agent.id)).toBe(17);
  });

  it("ORs the user's grant, each of the user's groups' grants and the public grant", async () => {
    const ann = await user();
    const [a, b] = [await groupOf(ann), await groupOf(ann)];
    const agent = await insertAgent(ann.id);
    // Every grant holds VIEW (a CHECK); each source adds one more bit.
    await grant({ principalType: 'user', principalId: ann.id, resourceId: agent.id, permBits: 1 | 2, roleId: 'x' });
    await grant({ principalType: 'group', principalId: a.id, resourceId: agent.id, permBits: 1 | 4, roleId: 'x' });
    await grant({ principalType: 'group', principalId: b.id, resourceId: agent.id, permBits: 1 | 8, roleId: 'x' });
    await grant({ principalType: 'public', resourceId: agent.id, permBits: 1 | 16, roleId: 'x' });
    expect(await acl.effectiveBits(ann.id, 'agent', agent.id)).toBe(31);
    await database.dataSource.manager.delete(GroupMemberEntity, { groupId: b.id, userId: ann.id });
    expect(await acl.effectiveBits(ann.id, 'agent', agent.id)).toBe(31 & ~8);
  });

  it('gives a stranger exactly the public bits', async () => {
    const [owner, stranger] = [await user(), await user()];
    const agent = await insertAgent(owner.id);
    await grant({ principalType: 'user', principalId: owner.id, resourceId: agent.id, roleId: 'agent_owner' });
    await grant({ principalType: 'public', resourceId: agent.id, roleId: 'agent_user' });
    expect(await acl.effectiveBits(stranger.id, 'agent', agent.id)).toBe(17);
    expect(await acl.effectiveBits(owner.id, 'agent', agent.id)).toBe(31);
  });

  it("never counts other users' grants, groups the user is not in, or grants on other agents", async () => {
    const [ann, bob] = [await user(), await user()];
    const bobsTeam = await groupOf(bob);
    const annsTeam = await groupOf(ann);
    const [agent, other] = [await insertAgent(bob.id), await insertAgent(bob.id)];
    await grant({ principalType: 'user', principalId: bob.id, resourceId: agent.id, roleId: 'agent_owner' });
    await grant({ principalType: 'group', principalId: bobsTeam.id, resourceId: agent.id, roleId: 'agent_editor' });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: other.id, roleId: 'agent_owner' });
    await grant({ principalType: 'group', principalId: annsTeam.id, resourceId: other.id, roleId: 'agent_owner' });
    await grant({ principalType: 'public', resourceId: other.id, roleId: 'agent_owner' });
    expect(await acl.effectiveBits(ann.id, 'agent', agent.id)).toBe(0);
    expect(await acl.effectiveBits(ann.id, 'agent', other.id)).toBe(31);
  });

  it('stops counting a group grant once the user leaves the group', async () => {
    const ann = await user();
    const team = await groupOf(ann);
    const agent = await insertAgent(ann.id);
    await grant({ principalType: 'group', principalId: team.id, resourceId: agent.id, roleId: 'agent_user' });
    expect(await acl.effectiveBits(ann.id, 'agent', agent.id)).toBe(17);
    await database.dataSource.manager.delete(GroupMemberEntity, { groupId: team.id, userId: ann.id });
    expect(await acl.effectiveBits(ann.id, 'agent', agent.id)).toBe(0);
  });

  it("reads through the given manager, so it sees the transaction's uncommitted grants", async () => {
    const ann = await user();
    const agent = await insertAgent(ann.id);
    await database.db.transaction(async (m) => {
      await acl.upsert(m, {
        resourceType: 'agent',
        resourceId: agent.id,
        principalType: 'user',
        principalId: ann.id,
        roleId: 'agent_editor',
        permBits: 19,
        grantedBy: ann.id,
      });
      expect(await acl.effectiveBits(ann.id, 'agent', agent.id, m)).toBe(19);
      expect(await acl.effectiveBits(ann.id, 'agent', agent.id)).toBe(0);
    });
  });
});

describe('AclRepository.restrictToGranted', () => {
  it('restricts any query builder over the resource, under the alias it is given', async () => {
    const ann = await user();
    const mine = await insertAgent(ann.id);
    await insertAgent(ann.id);
    await grant({ principalType: 'user', principalId: ann.id, resourceId: mine.id });
    const qb = database.dataSource.manager.createQueryBuilder().select('x.id', 'id').from('agents', 'x');
    const rows = await acl.restrictToGranted(qb, 'agent', 'x.id', ann.id, 1).getRawMany<{ id: string }>();
    expect(ids(rows)).toEqual([mine.id]);
  });
});

describe('AclRepository writes', () => {
  const base = (resourceId: string, grantedBy: string) => ({ resourceType: 'agent' as const, resourceId, grantedBy });

  it('upsert replaces the grant of a user: one row, role, bits and granter updated', async () => {
    const [ann, bob] = [await user(), await user()];
    const agent = await insertAgent(ann.id);
    const m = database.dataSource.manager;
    await acl.upsert(m, {
      ...base(agent.id, ann.id),
      principalType: 'user',
      principalId: bob.id,
      roleId: 'agent_viewer',
      permBits: 1,
    });
    await acl.upsert(m, {
      ...base(agent.id, bob.id),
      principalType: 'user',
      principalId: bob.id,
      roleId: 'agent_editor',
      permBits: 19,
    });
    const rows = await acl.grantsOn('agent', agent.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ principalId: bob.id, roleId: 'agent_editor', permBits: 19, grantedBy: bob.id });
  });

  it('upsert replaces the public grant too (NULL principal ids are not distinct)', async () => {
    const ann = await user();
    const agent = await insertAgent(ann.id);
    const m = database.dataSource.manager;
    const pub = { ...base(agent.id, ann.id), principalType: 'public' as const, principalId: null };
    await acl.upsert(m, { ...pub, roleId: 'agent_viewer', permBits: 1 });
    await acl.upsert(m, { ...pub, roleId: 'agent_user', permBits: 17 });
    expect(await grantsRows(agent.id)).toEqual([
      { principalType: 'public', principalId: null, resourceId: agent.id, roleId: 'agent_user', permBits: 17 },
    ]);
  });

  it('keeps one grant per principal and resource: same principal on two agents, two principals on one', async () => {
    const [ann, bob] = [await user(), await user()];
    const team = await groupOf(ann);
    const [a, b] = [await insertAgent(ann.id), await insertAgent(ann.id)];
    const m = database.dataSource.manager;
    const g = { principalType: 'user' as const, principalId: bob.id, roleId: 'agent_user', permBits: 17 };
    await acl.upsert(m, { ...base(a.id, ann.id), ...g });
    await acl.upsert(m, { ...base(b.id, ann.id), ...g });
    await acl.upsert(m, {
      ...base(a.id, ann.id),
      principalType: 'group',
      principalId: team.id,
      roleId: 'agent_viewer',
      permBits: 1,
    });
    expect(await grantsRows()).toHaveLength(3);
  });

  it('rejects a second raw public row for the same agent (the unique index)', async () => {
    const ann = await user();
    const agent = await insertAgent(ann.id);
    await grant({ principalType: 'public', resourceId: agent.id });
    await expect(grant({ principalType: 'public', resourceId: agent.id })).rejects.toMatchObject({ code: '23505' });
  });

  it('remove deletes exactly the one grant of that principal on that resource', async () => {
    const [ann, bob] = [await user(), await user()];
    const team = await groupOf(ann);
    const [a, b] = [await insertAgent(ann.id), await insertAgent(ann.id)];
    await grant({ principalType: 'user', principalId: bob.id, resourceId: a.id });
    await grant({ principalType: 'user', principalId: bob.id, resourceId: b.id });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: a.id, roleId: 'agent_owner' });
    await grant({ principalType: 'group', principalId: team.id, resourceId: a.id });
    await grant({ principalType: 'public', resourceId: a.id });
    await grant({ principalType: 'public', resourceId: b.id });
    const m = database.dataSource.manager;

    await acl.remove(m, 'agent', a.id, 'user', bob.id);
    await acl.remove(m, 'agent', a.id, 'public', null);
    const left = await grantsRows();
    expect(left).toHaveLength(4);
    expect(left).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principalId: bob.id, resourceId: b.id }),
        expect.objectContaining({ principalId: ann.id, resourceId: a.id }),
        expect.objectContaining({ principalId: team.id, resourceId: a.id }),
        expect.objectContaining({ principalType: 'public', resourceId: b.id }),
      ]),
    );
  });

  it('remove of a group grant leaves a user grant with the same resource alone', async () => {
    const ann = await user();
    const team = await groupOf(ann);
    const agent = await insertAgent(ann.id);
    await grant({ principalType: 'user', principalId: ann.id, resourceId: agent.id, roleId: 'agent_owner' });
    await grant({ principalType: 'group', principalId: team.id, resourceId: agent.id });
    await acl.remove(database.dataSource.manager, 'agent', agent.id, 'group', ann.id); // wrong type: no-op
    expect(await grantsRows(agent.id)).toHaveLength(2);
    await acl.remove(database.dataSource.manager, 'agent', agent.id, 'group', team.id);
    expect(await grantsRows(agent.id)).toEqual([expect.objectContaining({ principalId: ann.id })]);
  });

  it('grantsOn lists only that resource, oldest grant first', async () => {
    const [ann, bob] = [await user(), await user()];
    const [agent, other] = [await insertAgent(ann.id), await insertAgent(ann.id)];
    await database.dataSource.query(
      `INSERT INTO acl_entries (principal_type, principal_id, resource_type, resource_id, perm_bits, role_id, granted_at)
       VALUES ('user', $1, 'agent', $3, 1, 'agent_viewer', $4), ('user', $2, 'agent', $3, 31, 'agent_owner', $5),
              ('public', NULL, 'agent', $6, 1, 'agent_viewer', $5)`,
      [bob.id, ann.id, agent.id, at(10), at(5), other.id],
    );
    expect((await acl.grantsOn('agent', agent.id)).map((g) => g.principalId)).toEqual([ann.id, bob.id]);
  });

  it('withPublicGrant says which of the given agents have a public grant', async () => {
    const ann = await user();
    const [a, b, c, d] = [
      await insertAgent(ann.id),
      await insertAgent(ann.id),
      await insertAgent(ann.id),
      await insertAgent(ann.id),
    ];
    await grant({ principalType: 'public', resourceId: a.id });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: b.id, roleId: 'agent_owner' });
    await grant({ principalType: 'public', resourceId: c.id, roleId: 'agent_user' });
    await grant({ principalType: 'public', resourceId: d.id });
    expect(await acl.withPublicGrant('agent', [a.id, b.id, c.id])).toEqual(new Set([a.id, c.id]));
    expect(await acl.withPublicGrant('agent', [])).toEqual(new Set());
    expect(await acl.withPublicGrant('agent', [b.id, randomUUID()])).toEqual(new Set());
  });
});

describe('acl_entries constraints and triggers', () => {
  it('deleting an agent deletes its grants and no others', async () => {
    const ann = await user();
    const team = await groupOf(ann);
    const [doomed, kept] = [await insertAgent(ann.id), await insertAgent(ann.id)];
    for (const agent of [doomed, kept]) {
      await grant({ principalType: 'user', principalId: ann.id, resourceId: agent.id, roleId: 'agent_owner' });
      await grant({ principalType: 'group', principalId: team.id, resourceId: agent.id });
      await grant({ principalType: 'public', resourceId: agent.id });
    }
    await database.dataSource.query('DELETE FROM agents WHERE id = $1', [doomed.id]);
    expect(await grantsRows(doomed.id)).toEqual([]);
    expect(await grantsRows(kept.id)).toHaveLength(3);
  });

  it("deleting a group deletes the group's grants and its memberships, and nothing else", async () => {
    const [ann, bob] = [await user(), await user()];
    const doomed = await groupOf(ann, bob);
    const kept = await groupOf(ann);
    const [a, b] = [await insertAgent(ann.id), await insertAgent(ann.id)];
    for (const agent of [a, b]) {
      await grant({ principalType: 'group', principalId: doomed.id, resourceId: agent.id, roleId: 'agent_user' });
      await grant({ principalType: 'group', principalId: kept.id, resourceId: agent.id });
      await grant({ principalType: 'user', principalId: ann.id, resourceId: agent.id, roleId: 'agent_owner' });
    }
    await database.dataSource.manager.delete(GroupEntity, { id: doomed.id });

    const left = await grantsRows();
    expect(left).toHaveLength(4);
    expect(left.some((g) => g.principalId === doomed.id)).toBe(false);
    expect(await database.dataSource.manager.findBy(GroupMemberEntity, { groupId: doomed.id })).toEqual([]);
    expect(await database.dataSource.manager.findBy(GroupMemberEntity, { groupId: kept.id })).toHaveLength(1);
    expect(await acl.effectiveBits(bob.id, 'agent', a.id)).toBe(0);
  });

  it.each([
    ['a public grant with a principal id', 'public', randomUUID()],
    ['a user grant without a principal id', 'user', null],
    ['a group grant without a principal id', 'group', null],
  ] as const)('rejects %s (CHECK)', async (_what, principalType, principalId) => {
    const ann = await user();
    const agent = await insertAgent(ann.id);
    await expect(grant({ principalType, principalId, resourceId: agent.id })).rejects.toMatchObject({
      code: '23514',
    });
    expect(await grantsRows()).toEqual([]);
  });

  it('rejects a grant without VIEW (CHECK: every role includes it)', async () => {
    const ann = await user();
    const agent = await insertAgent(ann.id);
    for (const permBits of [16, 2 | 4 | 8 | 16, 0, 32 | 1]) {
      await expect(
        grant({ principalType: 'user', principalId: ann.id, resourceId: agent.id, permBits, roleId: 'x' }),
      ).rejects.toMatchObject({ code: '23514' });
    }
    expect(await grantsRows()).toEqual([]);
  });

  it('rejects a grant on an agent that does not exist', async () => {
    const ann = await user();
    await expect(
      grant({ principalType: 'user', principalId: ann.id, resourceId: 'agent_missing', roleId: 'agent_owner' }),
    ).rejects.toMatchObject({ code: '23503' });
  });

  it('accepts a public grant without a principal id and a user grant with one', async () => {
    const ann = await user();
    const agent = await insertAgent(ann.id);
    await grant({ principalType: 'public', resourceId: agent.id });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: agent.id });
    expect(await grantsRows(agent.id)).toHaveLength(2);
  });
});

describe('AclRepository: owners that reach a real user', () => {
  const m = () => database.dataSource.manager;
  const owner = (principalType: 'user' | 'group', principalId: string, resourceId: string) =>
    grant({ principalType, principalId, resourceId, roleId: 'agent_owner' });

  it('hasLiveOwner: a user owner or a group owner with members counts; an empty group, an editor or a stranger id does not', async () => {
    const ann = await user();
    const [a, b, c, d] = [
      await insertAgent(ann.id),
      await insertAgent(ann.id),
      await insertAgent(ann.id),
      await insertAgent(ann.id),
    ];
    await owner('user', ann.id, a.id);
    await owner('group', (await groupOf(ann)).id, b.id);
    await owner('group', (await groupOf()).id, c.id);
    await grant({ principalType: 'user', principalId: ann.id, resourceId: c.id, roleId: 'agent_editor' });
    await owner('user', randomUUID(), d.id);
    const live = await Promise.all([a, b, c, d].map((x) => acl.hasLiveOwner(m(), 'agent', x.id)));
    expect(live).toEqual([true, true, false, false]);
  });

  it('ownedOnlyThrough: what a group owns with no other live owner, with the group or one member gone', async () => {
    const ann = await user();
    const bob = await user();
    const team = await groupOf(ann, bob);
    const solo = await groupOf(ann);
    const onlyTeam = await insertAgent(ann.id);
    const teamAndUser = await insertAgent(ann.id);
    const teamAndSolo = await insertAgent(ann.id);
    await owner('group', team.id, onlyTeam.id);
    await owner('group', team.id, teamAndUser.id);
    await owner('user', bob.id, teamAndUser.id);
    await owner('group', team.id, teamAndSolo.id);
    await owner('group', solo.id, teamAndSolo.id);

    const orphaned = async (groupId: string, userId?: string) =>
      (await acl.ownedOnlyThrough(m(), groupId, userId, 10)).map((r) => r.resourceId);
    expect(await orphaned(team.id)).toEqual([onlyTeam.id]);
    // Bob leaving leaves Ann in the team: nothing orphaned.
    expect(await orphaned(team.id, bob.id)).toEqual([]);
    // Ann leaving solo empties it, but teamAndSolo keeps the team.
    expect(await orphaned(solo.id, ann.id)).toEqual([]);
    expect((await acl.ownedOnlyThrough(m(), team.id, undefined, 0)).length).toBe(0);

    await database.dataSource.query('DELETE FROM group_members WHERE group_id = $1 AND user_id = $2', [
      team.id,
      bob.id,
    ]);
    expect(await orphaned(team.id, ann.id)).toEqual([onlyTeam.id]);
    expect((await orphaned(solo.id, ann.id)).sort()).toEqual([]);
  });
});
