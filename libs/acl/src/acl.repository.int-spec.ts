import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { AclEntryEntity, AclRepository, roleBits } from '@agents/acl';
import { AgentEntity, type AgentListFilter, AgentsRepository } from '@agents/agents';
import { GroupEntity, GroupMemberEntity, type UserEntity } from '@agents/auth';
import { type KeysetPosition } from '@agents/core';
import { agentEntity, at, orderedAgentId, T0 } from '../../../test/support/entity-factories';
import {
  type GrantInput,
  type IntegrationDatabase,
  addGroupMembers,
  insertGrant,
  insertGroup,
  insertUser,
  openIntegrationDatabase,
} from '../../../test/support/integration-database';

let database: IntegrationDatabase;
let acl: AclRepository;
let agents: AgentsRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  acl = new AclRepository(database.db);
  agents = new AgentsRepository(database.db, acl);
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  await database.dataSource.query('TRUNCATE agents, users, groups, group_members, acl_entries CASCADE');
});

/** An agent row with no grants at all (grants are added explicitly by each test). */
async function insertAgent(
  author: string,
  overrides: Partial<AgentEntity> = {},
  fields: Parameters<typeof agentEntity>[2] = {},
): Promise<AgentEntity> {
  const agent = agentEntity(author, { id: orderedAgentId(), updatedAt: T0, createdAt: T0, ...overrides }, fields);
  await agents.insert(database.dataSource.manager, agent);
  return agent;
}

const user = () => insertUser(database.dataSource);
const grant = (g: GrantInput) => insertGrant(database.dataSource, g);
async function groupOf(...members: UserEntity[]): Promise<GroupEntity> {
  const creator = await user();
  const group = await insertGroup(database.dataSource, creator.id);
  await addGroupMembers(database.dataSource, group.id, ...members.map((m) => m.id));
  return group;
}

function visible(userId: string, requiredBits = 1, extra: { limit?: number; after?: KeysetPosition } = {}) {
  return agents.listVisibleTo({ id: userId, isAdmin: false }, { limit: 500, requiredBits, ...extra });
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
const sorted = (rows: { id: string }[]) => ids(rows).sort();

/** Newest updated_at first, id descending among equals (ids here are digit strings). */
function newestFirst(list: AgentEntity[]): string[] {
  return [...list]
    .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((a) => a.id);
}

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

describe('AclRepository.restrictToGranted (through AgentsRepository.listVisibleTo)', () => {
  it('returns the agents visible through user, group and public grants, and no others', async () => {
    const [ann, bob] = [await user(), await user()];
    const annsTeam = await groupOf(ann);
    const bobsTeam = await groupOf(bob);
    const byUser = await insertAgent(bob.id);
    const byGroup = await insertAgent(bob.id);
    const byPublic = await insertAgent(bob.id);
    const bobsOnly = await insertAgent(bob.id);
    const otherGroupOnly = await insertAgent(bob.id);
    await insertAgent(bob.id); // no grant at all
    await grant({ principalType: 'user', principalId: ann.id, resourceId: byUser.id });
    await grant({ principalType: 'group', principalId: annsTeam.id, resourceId: byGroup.id, roleId: 'agent_user' });
    await grant({ principalType: 'public', resourceId: byPublic.id });
    await grant({ principalType: 'user', principalId: bob.id, resourceId: bobsOnly.id, roleId: 'agent_owner' });
    await grant({ principalType: 'group', principalId: bobsTeam.id, resourceId: otherGroupOnly.id });

    expect(sorted(await visible(ann.id))).toEqual(sorted([byUser, byGroup, byPublic]));
    expect(sorted(await visible(bob.id))).toEqual(sorted([byPublic, bobsOnly, otherGroupOnly]));
  });

  it('returns an agent once when several grants apply to it (user + two groups + public)', async () => {
    const ann = await user();
    const [a, b] = [await groupOf(ann), await groupOf(ann)];
    const shared = await insertAgent(ann.id, { updatedAt: at(2) });
    const plain = await insertAgent(ann.id, { updatedAt: at(1) });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: shared.id, roleId: 'agent_owner' });
    await grant({ principalType: 'group', principalId: a.id, resourceId: shared.id, roleId: 'agent_user' });
    await grant({ principalType: 'group', principalId: b.id, resourceId: shared.id, roleId: 'agent_editor' });
    await grant({ principalType: 'public', resourceId: shared.id, roleId: 'agent_user' });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: plain.id });

    expect(ids(await visible(ann.id, 17))).toEqual([shared.id]);
    expect(ids(await visible(ann.id))).toEqual([shared.id, plain.id]);
    // limit 1 fetches limit + 1 = 2 rows: they must be two different agents, not the same one twice.
    expect(ids(await visible(ann.id, 1, { limit: 1 }))).toEqual([shared.id, plain.id]);
  });

  it('combines grants: VIEW via the user grant and USE via a group grant satisfy 17, not 19', async () => {
    const ann = await user();
    const team = await groupOf(ann);
    const mixed = await insertAgent(ann.id);
    const viewOnly = await insertAgent(ann.id);
    await grant({ principalType: 'user', principalId: ann.id, resourceId: mixed.id, roleId: 'agent_viewer' });
    await grant({ principalType: 'group', principalId: team.id, resourceId: mixed.id, roleId: 'agent_user' });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: viewOnly.id, roleId: 'agent_viewer' });

    expect(sorted(await visible(ann.id, 1))).toEqual(sorted([mixed, viewOnly]));
    expect(ids(await visible(ann.id, 17))).toEqual([mixed.id]);
    expect(await visible(ann.id, 19)).toEqual([]);
  });

  it('satisfies a multi-bit requirement with bits no single grant holds (EDIT via user, USE via group)', async () => {
    const ann = await user();
    const team = await groupOf(ann);
    const split = await insertAgent(ann.id);
    const editOnly = await insertAgent(ann.id);
    const useOnly = await insertAgent(ann.id);
    await grant({ principalType: 'user', principalId: ann.id, resourceId: split.id, permBits: 1 | 2, roleId: 'x' });
    await grant({ principalType: 'group', principalId: team.id, resourceId: split.id, roleId: 'agent_user' });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: editOnly.id, permBits: 1 | 2, roleId: 'x' });
    await grant({ principalType: 'public', resourceId: useOnly.id, roleId: 'agent_user' });

    expect(sorted(await visible(ann.id, 3))).toEqual(sorted([split, editOnly]));
    expect(sorted(await visible(ann.id, 17))).toEqual(sorted([split, useOnly]));
    expect(ids(await visible(ann.id, 19))).toEqual([split.id]);
    expect(ids(await visible(ann.id, 18))).toEqual([split.id]);
    expect(await visible(ann.id, 19 | 8)).toEqual([]);
  });

  it('requires every bit of a multi-bit requirement (editor and owner lists)', async () => {
    const ann = await user();
    const team = await groupOf(ann);
    const viewer = await insertAgent(ann.id);
    const editor = await insertAgent(ann.id);
    const owner = await insertAgent(ann.id);
    await grant({ principalType: 'user', principalId: ann.id, resourceId: viewer.id, roleId: 'agent_viewer' });
    await grant({ principalType: 'group', principalId: team.id, resourceId: editor.id, roleId: 'agent_editor' });
    await grant({ principalType: 'user', principalId: ann.id, resourceId: owner.id, roleId: 'agent_owner' });
    expect(sorted(await visible(ann.id, 2))).toEqual(sorted([editor, owner]));
    expect(sorted(await visible(ann.id, 19))).toEqual(sorted([editor, owner]));
    expect(ids(await visible(ann.id, 8))).toEqual([owner.id]);
  });

  /**
   * 36 agents over 4 updated_at values, granted to ann (or not) through every mix of her own, her
   * two groups' and public grants, with different roles; `bits` records what ann holds on each.
   */
  async function mixedCatalogue() {
    const [ann, bob] = [await user(), await user()];
    const [teamA, teamB] = [await groupOf(ann, bob), await groupOf(ann)];
    const bobsTeam = await groupOf(bob);
    const catalogue: { agent: AgentEntity; bits: number }[] = [];
    const roles = ['agent_viewer', 'agent_user', 'agent_editor', 'agent_owner'];
    for (let i = 0; i < 36; i++) {
      const agent = await insertAgent(bob.id, { updatedAt: at(i % 4) }, { category: i % 3 === 0 ? 'hr' : 'general' });
      const role = roles[i % 4];
      const other = roles[(i + 1) % 4];
      const r = (id: string) => ({ resourceId: id });
      let bits = 0;
      switch (i % 7) {
        case 0:
          await grant({ principalType: 'user', principalId: ann.id, roleId: role, ...r(agent.id) });
          bits = roleBits(role)!;
          break;
        case 1:
          await grant({ principalType: 'group', principalId: teamA.id, roleId: role, ...r(agent.id) });
          bits = roleBits(role)!;
          break;
        case 2:
          await grant({ principalType: 'public', roleId: role, ...r(agent.id) });
          bits = roleBits(role)!;
          break;
        case 3: // every kind at once, with different roles
          await grant({ principalType: 'user', principalId: ann.id, roleId: role, ...r(agent.id) });
          await grant({ principalType: 'group', principalId: teamA.id, roleId: other, ...r(agent.id) });
          await grant({ principalType: 'group', principalId: teamB.id, roleId: 'agent_viewer', ...r(agent.id) });
          await grant({ principalType: 'public', roleId: 'agent_viewer', ...r(agent.id) });
          bits = roleBits(role)! | roleBits(other)!;
          break;
        case 4: // EDIT from her own grant, USE from a group: only together do they make 19
          await grant({ principalType: 'user', principalId: ann.id, permBits: 3, roleId: 'x', ...r(agent.id) });
          await grant({ principalType: 'group', principalId: teamB.id, roleId: 'agent_user', ...r(agent.id) });
          bits = 19;
          break;
        case 5: // bob's and bob's group's only
          await grant({ principalType: 'user', principalId: bob.id, roleId: 'agent_owner', ...r(agent.id) });
          await grant({ principalType: 'group', principalId: bobsTeam.id, roleId: role, ...r(agent.id) });
          break;
        default: // no grant at all
      }
      catalogue.push({ agent, bits });
    }
    return { ann, catalogue };
  }

  /** Every page of ann's list, walked with the keyset cursor of the last row of each page. */
  async function walk(userId: string, filter: Omit<AgentListFilter, 'limit' | 'after'>, limit: number) {
    const seen: string[] = [];
    let after: KeysetPosition | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const rows = await agents.listVisibleTo({ id: userId, isAdmin: false }, { ...filter, limit, after });
      const page = rows.slice(0, limit);
      seen.push(...ids(page));
      if (rows.length <= limit) return seen;
      const last = page[page.length - 1];
      after = { at: last.updatedAt, id: last.id };
    }
    throw new Error('the walk did not end');
  }

  it.each([
    ['VIEW', { requiredBits: 1 }],
    ['USE', { requiredBits: 17 }],
    ['EDIT', { requiredBits: 3 }],
    ['SHARE', { requiredBits: 9 }],
    ['EDIT and USE together', { requiredBits: 19 }],
    ['VIEW in one category', { requiredBits: 1, category: 'hr' }],
    ['USE with a search', { requiredBits: 17, search: 'agent' }],
  ] as const)(
    'walks every agent visible through mixed grants exactly once, newest first (%s)',
    async (_what, filter) => {
      const { ann, catalogue } = await mixedCatalogue();
      const expected = catalogue
        .filter(({ bits }) => (bits & filter.requiredBits) === filter.requiredBits)
        .filter(({ agent }) => !('category' in filter) || agent.category === filter.category)
        .map(({ agent }) => agent);
      expect(expected.length).toBeGreaterThan(3);
      for (const limit of [1, 3, 50]) {
        const seen = await walk(ann.id, filter, limit);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toEqual(newestFirst(expected));
      }
    },
  );

  it("pages follow an agent's new updated_at (the grants carry it, kept by a trigger)", async () => {
    const ann = await user();
    const list = [];
    for (let i = 0; i < 4; i++) {
      const agent = await insertAgent(ann.id, { updatedAt: at(i) });
      await grant({ principalType: 'user', principalId: ann.id, resourceId: agent.id, roleId: 'agent_owner' });
      list.push(agent);
    }
    await agents.save(database.dataSource.manager, Object.assign(list[0], { updatedAt: at(100) }));
    expect(ids(await visible(ann.id, 1, { limit: 1 }))).toEqual([list[0].id, list[3].id]);
    expect(ids(await visible(ann.id, 1, { limit: 10, after: { at: at(3), id: list[3].id } }))).toEqual([
      list[2].id,
      list[1].id,
    ]);
    const stored = await database.dataSource.manager.findBy(AclEntryEntity, { resourceId: list[0].id });
    expect(stored.map((g) => g.resourceUpdatedAt)).toEqual([at(100)]);
  });

  it('lets ADMIN see every agent, granted or not', async () => {
    const [ann, bob] = [await user(), await user()];
    const all = [await insertAgent(ann.id), await insertAgent(bob.id), await insertAgent(bob.id)];
    await grant({ principalType: 'user', principalId: bob.id, resourceId: all[1].id, roleId: 'agent_owner' });
    const rows = await agents.listVisibleTo({ id: ann.id, isAdmin: true }, { limit: 50, requiredBits: 31 });
    expect(sorted(rows)).toEqual(sorted(all));
    expect(await visible(ann.id)).toEqual([]);
  });

  it('restricts any query builder over the resource, under the alias it is given', async () => {
    const ann = await user();
    const mine = await insertAgent(ann.id);
    await insertAgent(ann.id);
    await grant({ principalType: 'user', principalId: ann.id, resourceId: mine.id });
    const qb = database.dataSource.manager.createQueryBuilder(AgentEntity, 'x').select('x.id', 'id');
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
    await database.db.transaction((m) => agents.delete(m, doomed.id));
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
