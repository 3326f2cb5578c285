import 'reflect-metadata';
import { AclRepository } from '@agents/acl';
import { type AgentEntity, AgentsRepository, type AgentListFilter } from '@agents/agents';
import { decodeCursor, encodeCursor } from '@agents/core';
import { agentEntity, at, orderedAgentId, T0 } from '@agents/testing/entity-factories';
import {
  type IntegrationDatabase,
  addGroupMembers,
  insertGrant,
  insertGroup,
  insertUser,
  openIntegrationDatabase,
} from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let repo: AgentsRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  repo = new AgentsRepository(database.db, new AclRepository(database.db));
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  await database.dataSource.query('TRUNCATE agents, users, acl_entries CASCADE');
});

async function insertAgent(
  author: string,
  overrides: Partial<AgentEntity> = {},
  fields: Parameters<typeof agentEntity>[2] = {},
): Promise<AgentEntity> {
  const agent = agentEntity(author, { id: orderedAgentId(), updatedAt: T0, createdAt: T0, ...overrides }, fields);
  await repo.insert(database.dataSource.manager, agent);
  await database.dataSource.query(
    `INSERT INTO acl_entries (principal_type, principal_id, resource_type, resource_id, perm_bits, role_id)
     VALUES ('user', $1, 'agent', $2, 31, 'agent_owner')`,
    [author, agent.id],
  );
  return agent;
}

/** The page a (non-admin) user sees with VIEW required. */
function list(userId: string, filter: Omit<AgentListFilter, 'requiredBits'>) {
  return repo.listVisibleTo({ id: userId, isAdmin: false }, { requiredBits: 1, ...filter });
}

/** Newest updated_at first, id descending among equals (ids here are digit strings). */
function newestFirst(agents: AgentEntity[]): string[] {
  return [...agents]
    .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((a) => a.id);
}

const ids = (rows: AgentEntity[]) => rows.map((r) => r.id);

describe('AgentsRepository.listVisibleTo', () => {
  it('returns only the agents the user holds a grant on (here, as author)', async () => {
    const alice = await insertUser(database.dataSource);
    const bob = await insertUser(database.dataSource);
    const mine = [await insertAgent(alice.id), await insertAgent(alice.id), await insertAgent(alice.id)];
    await insertAgent(bob.id);
    await insertAgent(bob.id);

    const rows = await list(alice.id, { limit: 50 });
    expect(ids(rows).sort()).toEqual(ids(mine).sort());
    expect(rows.every((r) => r.author === alice.id)).toBe(true);
  });

  it('orders newest updated_at first and breaks ties by id, descending', async () => {
    const alice = await insertUser(database.dataSource);
    const agents = [
      await insertAgent(alice.id, { updatedAt: at(1) }),
      await insertAgent(alice.id, { updatedAt: at(5) }),
      await insertAgent(alice.id, { updatedAt: at(3) }),
      await insertAgent(alice.id, { updatedAt: at(3) }),
      await insertAgent(alice.id, { updatedAt: at(3) }),
      await insertAgent(alice.id, { updatedAt: at(0), createdAt: at(9) }),
    ];
    const rows = await list(alice.id, { limit: 50 });
    expect(ids(rows)).toEqual([agents[1].id, agents[4].id, agents[3].id, agents[2].id, agents[0].id, agents[5].id]);
  });

  it('fetches limit + 1 rows so the caller can tell another page exists', async () => {
    const alice = await insertUser(database.dataSource);
    for (let i = 0; i < 5; i++) await insertAgent(alice.id, { updatedAt: at(i) });
    expect(await list(alice.id, { limit: 2 })).toHaveLength(3);
    expect(await list(alice.id, { limit: 5 })).toHaveLength(5);
  });

  it('walks every agent exactly once with the keyset cursor, across many equal updated_at values', async () => {
    const alice = await insertUser(database.dataSource);
    const bob = await insertUser(database.dataSource);
    const agents: AgentEntity[] = [];
    for (let i = 0; i < 23; i++) {
      agents.push(await insertAgent(alice.id, { updatedAt: at(i % 4) })); // 4 timestamps, ~6 agents each
      if (i % 5 === 0) await insertAgent(bob.id, { updatedAt: at(i % 4) });
    }
    const limit = 4;
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const rows = await list(alice.id, {
        limit,
        after: cursor === undefined ? undefined : decodeCursor(cursor),
      });
      const page = rows.slice(0, limit);
      seen.push(...ids(page));
      if (rows.length <= limit) break;
      const last = page[page.length - 1];
      cursor = encodeCursor({ at: last.updatedAt, id: last.id });
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(newestFirst(agents));
  });

  it('continues after a position whose timestamp is shared by several agents', async () => {
    const alice = await insertUser(database.dataSource);
    const same = [];
    for (let i = 0; i < 4; i++) same.push(await insertAgent(alice.id, { updatedAt: at(7) }));
    const older = await insertAgent(alice.id, { updatedAt: at(6) });
    const order = newestFirst([...same, older]);
    const rows = await list(alice.id, { limit: 10, after: { at: at(7), id: order[1] } });
    expect(ids(rows)).toEqual(order.slice(2));
  });

  it('filters by category', async () => {
    const alice = await insertUser(database.dataSource);
    const hr = [
      await insertAgent(alice.id, {}, { category: 'hr' }),
      await insertAgent(alice.id, {}, { category: 'hr' }),
    ];
    await insertAgent(alice.id, {}, { category: 'general' });
    await insertAgent(alice.id, {}, { category: 'HR' });
    const rows = await list(alice.id, { limit: 50, category: 'hr' });
    expect(ids(rows).sort()).toEqual(ids(hr).sort());
  });

  it('searches name or description case-insensitively', async () => {
    const alice = await insertUser(database.dataSource);
    const bob = await insertUser(database.dataSource);
    const byName = await insertAgent(alice.id, {}, { name: 'HR Helper', description: 'people stuff' });
    const byDescription = await insertAgent(alice.id, {}, { name: 'Policies', description: 'Answers hr questions' });
    await insertAgent(alice.id, {}, { name: 'Sales', description: null });
    await insertAgent(bob.id, {}, { name: 'hr for bob' });

    expect(ids(await list(alice.id, { limit: 50, search: 'hR' })).sort()).toEqual([byName.id, byDescription.id].sort());
    expect(ids(await list(alice.id, { limit: 50, search: 'HELPER' }))).toEqual([byName.id]);
    expect(await list(alice.id, { limit: 50, search: 'nothing like this' })).toEqual([]);
  });

  it.each([
    ['%', '100% done', 'one hundred done'],
    ['_', 'snake_case', 'snakeXcase'],
    ['e_c', 'snake_case', 'snakeXcase'],
    ['\\', 'back\\slash', 'backslash'],
  ])('treats %p in a search literally', async (search, matching, lookalike) => {
    const alice = await insertUser(database.dataSource);
    const hit = await insertAgent(alice.id, {}, { name: matching, description: null });
    await insertAgent(alice.id, {}, { name: lookalike, description: null });
    expect(ids(await list(alice.id, { limit: 50, search }))).toEqual([hit.id]);
  });

  it('combines search, category and the cursor', async () => {
    const alice = await insertUser(database.dataSource);
    const match = [];
    for (let i = 0; i < 3; i++)
      match.push(await insertAgent(alice.id, { updatedAt: at(i) }, { name: `Bot ${i}`, category: 'hr' }));
    await insertAgent(alice.id, { updatedAt: at(10) }, { name: 'Bot x', category: 'general' });
    await insertAgent(alice.id, { updatedAt: at(10) }, { name: 'Other', category: 'hr', description: null });
    const first = await list(alice.id, { limit: 1, search: 'bot', category: 'hr' });
    expect(ids(first)).toEqual([match[2].id, match[1].id]);
    const next = await list(alice.id, {
      limit: 1,
      search: 'bot',
      category: 'hr',
      after: { at: first[0].updatedAt, id: first[0].id },
    });
    expect(ids(next)).toEqual([match[1].id, match[0].id]);
  });
});

describe('AgentsRepository.pageVisibleTo', () => {
  it('tells per row whether the user holds EDIT, through their own, a group or the public grant, on every query path', async () => {
    const owner = await insertUser(database.dataSource);
    const reader = await insertUser(database.dataSource);
    const group = await insertGroup(database.dataSource, owner.id);
    await addGroupMembers(database.dataSource, group.id, reader.id);
    const own = await insertAgent(reader.id, { updatedAt: at(1) });
    const viaUser = await insertAgent(owner.id, { updatedAt: at(2) });
    const viaGroup = await insertAgent(owner.id, { updatedAt: at(3) });
    const viaPublic = await insertAgent(owner.id, { updatedAt: at(4) });
    const viewOnly = await insertAgent(owner.id, { updatedAt: at(5) }, { category: 'hr' });
    await insertGrant(database.dataSource, {
      principalType: 'user',
      principalId: reader.id,
      resourceId: viaUser.id,
      roleId: 'agent_editor',
    });
    await insertGrant(database.dataSource, {
      principalType: 'group',
      principalId: group.id,
      resourceId: viaGroup.id,
      roleId: 'agent_editor',
    });
    await insertGrant(database.dataSource, {
      principalType: 'public',
      resourceId: viaPublic.id,
      roleId: 'agent_editor',
    });
    await insertGrant(database.dataSource, {
      principalType: 'user',
      principalId: reader.id,
      resourceId: viewOnly.id,
      roleId: 'agent_user',
    });
    const expected = [
      [viewOnly.id, false],
      [viaPublic.id, true],
      [viaGroup.id, true],
      [viaUser.id, true],
      [own.id, true],
    ];
    const page = async (filter: Partial<AgentListFilter>) =>
      (await repo.pageVisibleTo({ id: reader.id, isAdmin: false }, { limit: 50, requiredBits: 1, ...filter })).map(
        (r) => [r.agent.id, r.canEdit],
      );
    expect(await page({})).toEqual(expected); // from the grants index, as a prepared statement
    expect(await page({ search: 'Agent' })).toEqual(expected); // EXISTS probes
    expect(await page({ requiredBits: 17 })).toEqual(expected); // USE, from the grants index
    expect(await page({ requiredBits: 19 })).toEqual(expected.slice(1)); // USE and EDIT: EXISTS probes
    expect(await page({ category: 'hr' })).toEqual([[viewOnly.id, false]]);
    const asAdmin = await repo.pageVisibleTo({ id: reader.id, isAdmin: true }, { limit: 50, requiredBits: 1 });
    expect(asAdmin.every((r) => r.canEdit)).toBe(true);
  });
});

describe('AgentsRepository writes', () => {
  it('round-trips an agent through insert, save and findById', async () => {
    const alice = await insertUser(database.dataSource);
    const agent = await insertAgent(alice.id, { version: 1 }, { model_parameters: { temperature: 0.5, stop: ['x'] } });
    const found = await repo.findById(agent.id);
    expect(found).toMatchObject({ ...agent });

    const changed = Object.assign(found!, { name: 'Renamed', version: 2, updatedAt: at(60), avatar: null });
    await repo.save(database.dataSource.manager, changed);
    expect(await repo.findById(agent.id)).toMatchObject({
      name: 'Renamed',
      version: 2,
      updatedAt: at(60),
      avatar: null,
    });
  });

  it('locks the row with findByIdForUpdate and deletes it', async () => {
    const alice = await insertUser(database.dataSource);
    const agent = await insertAgent(alice.id);
    await database.db.transaction(async (m) => {
      expect((await repo.findByIdForUpdate(m, agent.id))?.id).toBe(agent.id);
      await repo.delete(m, agent.id);
    });
    expect(await repo.findById(agent.id)).toBeNull();
  });
});
