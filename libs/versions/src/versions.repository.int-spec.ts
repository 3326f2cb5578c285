import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '@agents/core';
import { type AgentSnapshot, AgentVersionEntity, VersionsRepository } from '@agents/versions';
import { agentEntity, snapshot } from '@agents/testing/entity-factories';
import {
  type IntegrationDatabase,
  insertAgentRow,
  insertUser,
  openIntegrationDatabase,
} from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let versions: VersionsRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  versions = new VersionsRepository(database.db);
});

afterAll(async () => {
  await database?.close();
});

/**
 * An agent with `count` versions, each with its own snapshot. The agent row is inserted directly:
 * the agents library builds on versions, not the other way round.
 */
async function agentWithVersions(count: number) {
  const author = await insertUser(database.dataSource);
  const agent = await insertAgentRow(database.dataSource, agentEntity(author.id, { version: count }));
  const m = database.dataSource.manager;
  const snapshots: AgentSnapshot[] = [];
  for (let version = 1; version <= count; version++) {
    const snap = snapshot({ name: `v${version}`, model_parameters: { temperature: version / 10, stop: ['a'] } });
    snapshots.push(snap);
    await versions.append(m, {
      agentId: agent.id,
      version,
      snapshot: snap,
      createdBy: author.id,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, version)),
    });
  }
  return { agent, author, snapshots };
}

async function countVersions(agentId: string): Promise<number> {
  return database.dataSource.manager.countBy(AgentVersionEntity, { agentId });
}

describe('VersionsRepository', () => {
  it('finds an appended version with its snapshot, author and time', async () => {
    const { agent, author, snapshots } = await agentWithVersions(3);
    const row = await versions.find(agent.id, 2);
    expect(row).not.toBeNull();
    expect(row!.snapshot).toEqual(snapshots[1]);
    expect(row!.createdBy).toBe(author.id);
    expect(row!.createdAt.toISOString()).toBe('2026-01-01T00:00:02.000Z');
  });

  it('answers null for a version or an agent that does not exist', async () => {
    const { agent } = await agentWithVersions(2);
    expect(await versions.find(agent.id, 3)).toBeNull();
    expect(await versions.find('agent_doesnotexist000000000', 1)).toBeNull();
  });

  it('finds through the manager it is given (inside a transaction)', async () => {
    const { agent } = await agentWithVersions(1);
    const found = await database.db.transaction((m) => versions.find(agent.id, 1, m));
    expect(found?.version).toBe(1);
  });

  it('lists newest first, pages with beforeVersion, and never mixes agents', async () => {
    const { agent } = await agentWithVersions(5);
    await agentWithVersions(6);
    const list = async (limit: number, before?: number) =>
      (await versions.listNewestFirst(agent.id, limit, before)).map((v) => v.version);
    expect(await list(10)).toEqual([5, 4, 3, 2, 1]);
    expect(await list(2)).toEqual([5, 4]);
    expect(await list(2, 4)).toEqual([3, 2]);
    expect(await list(2, 2)).toEqual([1]);
    expect(await list(2, 1)).toEqual([]);
  });

  it('has the database reject a second version with the same number', async () => {
    const { agent, author } = await agentWithVersions(2);
    const error = await versions
      .append(database.dataSource.manager, {
        agentId: agent.id,
        version: 2,
        snapshot: snapshot({ name: 'impostor' }),
        createdBy: author.id,
        createdAt: new Date(),
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isUniqueViolation(error)).toBe(true);
    expect((await versions.find(agent.id, 2))!.snapshot.name).toBe('v2');
  });

  it('has the append-only trigger reject an UPDATE of a version', async () => {
    const { agent } = await agentWithVersions(2);
    await expect(
      database.dataSource.manager.update(
        AgentVersionEntity,
        { agentId: agent.id, version: 1 },
        { createdBy: randomUUID() },
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining('append-only') });
    await expect(
      database.dataSource.query(`UPDATE agent_versions SET created_at = now() WHERE agent_id = $1`, [agent.id]),
    ).rejects.toMatchObject({ driverError: { code: '23001' } });
    expect((await versions.find(agent.id, 1))!.snapshot.name).toBe('v1');
  });

  it("deletes an agent's versions with the agent, and only its own", async () => {
    const { agent } = await agentWithVersions(3);
    const other = await agentWithVersions(2);
    await database.dataSource.query('DELETE FROM agents WHERE id = $1', [agent.id]);
    expect(await countVersions(agent.id)).toBe(0);
    expect(await countVersions(other.agent.id)).toBe(2);
  });

  it('refuses a version for an agent that does not exist', async () => {
    const author = await insertUser(database.dataSource);
    await expect(
      versions.append(database.dataSource.manager, {
        agentId: 'agent_doesnotexist000000000',
        version: 1,
        snapshot: snapshot(),
        createdBy: author.id,
        createdAt: new Date(),
      }),
    ).rejects.toMatchObject({ driverError: { code: '23503' } });
  });
});
