import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { GroupEntity, GroupMemberEntity, GroupsRepository, type UserEntity } from '@agents/auth';
import { isUniqueViolation } from '@agents/core';
import {
  type IntegrationDatabase,
  insertGroup,
  insertUser,
  openIntegrationDatabase,
} from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let groups: GroupsRepository;
let admin: UserEntity;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  groups = new GroupsRepository(database.db);
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  await database.dataSource.query('TRUNCATE users, groups, group_members CASCADE');
  admin = await insertUser(database.dataSource, { role: 'ADMIN', name: 'Admin' });
});

const user = (name = 'Someone') => insertUser(database.dataSource, { name });
const group = (name: string) => insertGroup(database.dataSource, admin.id, { name });
const names = (rows: { name: string }[]) => rows.map((r) => r.name);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('GroupsRepository.create', () => {
  it('stores the group with a generated id and returns it', async () => {
    const created = await groups.create({ name: 'Platform', description: 'Owns the agents', createdBy: admin.id });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await groups.findById(created.id)).toMatchObject({
      name: 'Platform',
      description: 'Owns the agents',
      createdBy: admin.id,
    });
  });

  it('rejects a second group whose name differs only in case, with a unique violation', async () => {
    await groups.create({ name: 'Data Science', description: null, createdBy: admin.id });
    const err = await rejection(groups.create({ name: 'data SCIENCE', description: null, createdBy: admin.id }));
    expect(isUniqueViolation(err, 'groups_name_key')).toBe(true);
    expect(await database.dataSource.manager.count(GroupEntity)).toBe(1);
  });

  it('accepts names that differ by more than case', async () => {
    await groups.create({ name: 'Sales', description: null, createdBy: admin.id });
    await groups.create({ name: 'Sales EU', description: null, createdBy: admin.id });
    expect(await database.dataSource.manager.count(GroupEntity)).toBe(2);
  });
});

describe('GroupsRepository membership', () => {
  it('addMember adds once: true the first time, false the second, one row', async () => {
    const team = await group('Team');
    const ann = await user();
    expect(await groups.addMember(team.id, ann.id)).toBe(true);
    expect(await groups.addMember(team.id, ann.id)).toBe(false);
    expect(await database.dataSource.manager.countBy(GroupMemberEntity, { groupId: team.id })).toBe(1);
  });

  it('addMember of a user that does not exist fails on the foreign key', async () => {
    const team = await group('Team');
    await expect(groups.addMember(team.id, randomUUID())).rejects.toMatchObject({ driverError: { code: '23503' } });
  });

  it('removeMember removes only that membership, and says whether there was one', async () => {
    const [a, b] = [await group('A'), await group('B')];
    const [ann, bob] = [await user(), await user()];
    for (const g of [a, b]) for (const u of [ann, bob]) await groups.addMember(g.id, u.id);

    expect(await groups.removeMember(a.id, ann.id)).toBe(true);
    expect(await groups.removeMember(a.id, ann.id)).toBe(false);
    expect(await groups.groupIdsOf(ann.id)).toEqual([b.id]);
    expect((await groups.members(a.id)).map((u) => u.id)).toEqual([bob.id]);
  });

  it('members lists the users of one group, by name case-insensitively', async () => {
    const team = await group('Team');
    const other = await group('Other');
    const [zed, amy, bob] = [await user('zed'), await user('Amy'), await user('bob')];
    for (const u of [zed, amy, bob]) await groups.addMember(team.id, u.id);
    await groups.addMember(other.id, (await user('Carl')).id);
    expect(names(await groups.members(team.id))).toEqual(['Amy', 'bob', 'zed']);
    expect(await groups.members(randomUUID())).toEqual([]);
  });

  it('groupIdsOf lists exactly the groups a user belongs to', async () => {
    const [a, b, c] = [await group('A'), await group('B'), await group('C')];
    const [ann, bob] = [await user(), await user()];
    await groups.addMember(a.id, ann.id);
    await groups.addMember(c.id, ann.id);
    await groups.addMember(b.id, bob.id);
    expect((await groups.groupIdsOf(ann.id)).sort()).toEqual([a.id, c.id].sort());
    expect(await groups.groupIdsOf(admin.id)).toEqual([]);
  });
});

describe('GroupsRepository.list', () => {
  it('lists every group by name, case-insensitively, with its member count', async () => {
    const [beta, alpha, gamma] = [await group('beta'), await group('Alpha'), await group('Gamma')];
    const [ann, bob, cid] = [await user(), await user(), await user()];
    for (const u of [ann, bob, cid]) await groups.addMember(beta.id, u.id);
    await groups.addMember(alpha.id, ann.id);

    const all = await groups.list();
    expect(all.map((g) => [g.name, g.memberCount])).toEqual([
      ['Alpha', 1],
      ['beta', 3],
      ['Gamma', 0],
    ]);
    expect(all.map((g) => g.id)).toEqual([alpha.id, beta.id, gamma.id]);
  });

  it("lists only a member's groups, each with its full member count", async () => {
    const [a, b, c] = [await group('A'), await group('B'), await group('C')];
    const [ann, bob, cid] = [await user(), await user(), await user()];
    await groups.addMember(a.id, ann.id);
    await groups.addMember(a.id, bob.id);
    await groups.addMember(a.id, cid.id);
    await groups.addMember(b.id, bob.id);
    await groups.addMember(c.id, ann.id);

    expect((await groups.list(ann.id)).map((g) => [g.name, g.memberCount])).toEqual([
      ['A', 3],
      ['C', 1],
    ]);
    expect((await groups.list(bob.id)).map((g) => g.name)).toEqual(['A', 'B']);
    expect(await groups.list(admin.id)).toEqual([]);
  });
});

describe('GroupsRepository lookups', () => {
  it('findByIds returns the existing groups among the ids, and nothing for none', async () => {
    const [a, b] = [await group('A'), await group('B')];
    await group('C');
    const found = await groups.findByIds([a.id, b.id, randomUUID()]);
    expect(found.map((g) => g.id).sort()).toEqual([a.id, b.id].sort());
    expect(await groups.findByIds([])).toEqual([]);
  });

  it('search matches part of a name case-insensitively, by name, up to the limit', async () => {
    await group('Data Science');
    await group('big data');
    await group('Marketing');
    await group('DATABASE admins');
    expect(names(await groups.search('DATA', 10))).toEqual(['big data', 'Data Science', 'DATABASE admins']);
    expect(names(await groups.search('data', 2))).toEqual(['big data', 'Data Science']);
    expect(await groups.search('finance', 10)).toEqual([]);
  });

  it.each([
    ['%', '100% club', 'one hundred club'],
    ['_', 'ops_team', 'opsXteam'],
    ['\\', 'back\\slash', 'backslash'],
  ])('treats %p in a search literally', async (q, matching, lookalike) => {
    await group(matching);
    await group(lookalike);
    expect(names(await groups.search(q, 10))).toEqual([matching]);
  });
});

describe('GroupsRepository.delete', () => {
  it('deletes the group and its memberships, and leaves other groups and the users alone', async () => {
    const [doomed, kept] = [await group('Doomed'), await group('Kept')];
    const [ann, bob] = [await user(), await user()];
    for (const u of [ann, bob]) {
      await groups.addMember(doomed.id, u.id);
      await groups.addMember(kept.id, u.id);
    }
    expect(await groups.delete(doomed.id)).toBe(true);
    expect(await groups.findById(doomed.id)).toBeNull();
    expect(await database.dataSource.manager.countBy(GroupMemberEntity, { groupId: doomed.id })).toBe(0);
    expect(await groups.groupIdsOf(ann.id)).toEqual([kept.id]);
    expect(await groups.members(kept.id)).toHaveLength(2);
    expect(await groups.delete(doomed.id)).toBe(false);
  });
});
