import 'reflect-metadata';
import { AclEntryEntity, AclRepository, roleBits } from '@agents/acl';
import { type AgentEntity, type AgentListFilter, AgentsRepository } from '@agents/agents';
import { type GroupEntity, type UserEntity } from '@agents/auth';
import { type KeysetPosition } from '@agents/core';
import { agentEntity, at, orderedAgentId, T0 } from '@agents/testing/entity-factories';
import {
  type GrantInput,
  type IntegrationDatabase,
  addGroupMembers,
  insertGrant,
  insertGroup,
  insertUser,
  openIntegrationDatabase,
} from '@agents/testing/integration-database';

/**
 * Which agents a user sees through their own, their groups' and public grants: the SQL of
 * AclRepository (restrictToGranted, firstGrantedIdsSql) as AgentsRepository.listVisibleTo uses it.
 * Each test grants explicitly; agents are inserted without any grant.
 */

let database: IntegrationDatabase;
let agents: AgentsRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  agents = new AgentsRepository(database.db, new AclRepository(database.db));
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

describe('AgentsRepository.listVisibleTo through grants (AclRepository.restrictToGranted, firstGrantedIdsSql)', () => {
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
});
