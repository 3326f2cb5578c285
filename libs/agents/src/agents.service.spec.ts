import type { EntityManager } from 'typeorm';
import { AbilityFactory, ALL_PERMISSIONS, type AclService, type Action, type ResourceRef } from '@agents/acl';
import {
  AgentAccessPolicy,
  type AgentEntity,
  AgentsService,
  type AgentsRepository,
  targetVersion,
} from '@agents/agents';
import type { AuthUser } from '@agents/auth';
import {
  type AppConfig,
  type DatabaseService,
  NotFoundError,
  PreconditionFailedError,
  ValidationFailedError,
  newAgentId,
} from '@agents/core';
import { ProviderRegistry } from '@agents/providers';
import { McpManager, ToolRegistry } from '@agents/tools';
import { type AgentSnapshot, type AgentVersionEntity, type VersionsRepository, takeSnapshot } from '@agents/versions';
import { agentEntity, authUser, snapshot } from '@agents/testing/entity-factories';
import { type AgentFileOwnership } from './agent-file-ownership';
import { AgentConfigValidator } from './agent-config.validator';
import type { CreateAgentDto } from './dto/create-agent.dto';
import type { UpdateAgentDto } from './dto/update-agent.dto';

type Mocked<T> = { [K in keyof T]: jest.Mock };

/**
 * The service with mocked persistence: the transaction runs the callback with a fake manager,
 * the repositories are jest mocks over one in-memory agent and its history.
 */
function setup(options: { agent?: AgentEntity; history?: AgentSnapshot[]; bitsOf?: Record<string, number> } = {}) {
  const manager = { fake: 'manager' } as unknown as EntityManager;
  const db = {
    manager,
    transaction: jest.fn((work: (m: EntityManager) => Promise<unknown>) => work(manager)),
  };
  const stored = options.agent;
  const history = options.history ?? (stored ? [takeSnapshot(stored)] : []);
  const found = (id: string) => Promise.resolve(stored && stored.id === id ? structuredClone(stored) : null);
  const agents: Mocked<
    Pick<AgentsRepository, 'findById' | 'findByIdForUpdate' | 'countAuthoredLocking' | 'insert' | 'save' | 'delete'>
  > = {
    findById: jest.fn((id: string) => found(id)),
    countAuthoredLocking: jest.fn(() => Promise.resolve(0)),
    findByIdForUpdate: jest.fn((_m: EntityManager, id: string) => found(id)),
    insert: jest.fn(() => Promise.resolve()),
    save: jest.fn(() => Promise.resolve()),
    delete: jest.fn(() => Promise.resolve()),
  };
  const versions: Mocked<Pick<VersionsRepository, 'append' | 'find' | 'listNewestFirst'>> = {
    append: jest.fn(() => Promise.resolve()),
    find: jest.fn((agentId: string, version: number): Promise<Partial<AgentVersionEntity> | null> => {
      const snap = stored && stored.id === agentId ? history[version - 1] : undefined;
      return Promise.resolve(
        snap ? { agentId, version, snapshot: structuredClone(snap), createdBy: stored!.author } : null,
      );
    }),
    listNewestFirst: jest.fn(() => Promise.resolve([])),
  };
  const config = {
    customEndpoints: [],
    mcpServers: [],
    openai: {},
    anthropic: {},
    google: {},
    codeInterpreter: { python: null, timeoutSeconds: 30, memoryMb: 512 },
    webSearch: { provider: 'searxng', url: 'http://searxng:8080', maxResults: 5, timeoutMs: 1000 },
    maxAgentsPerUser: 1000,
    maxVersionsPerAgent: 1000,
  } as unknown as AppConfig;
  const validator = new AgentConfigValidator(
    new ProviderRegistry(config),
    new ToolRegistry(config, new McpManager(config)),
  );
  // Grants stand in for the database: the author owns the agent, nobody else holds anything.
  const abilities = new AbilityFactory();
  const acl = {
    assertCan: jest.fn((user: AuthUser, resource: ResourceRef, action: Action) => {
      const bits = stored && stored.author === user.id ? ALL_PERMISSIONS : (options.bitsOf?.[user.id] ?? 0);
      abilities.assertCan(abilities.forResource(user, resource, bits), action, resource);
      return Promise.resolve(bits);
    }),
    grantOwner: jest.fn(() => Promise.resolve()),
    publicIds: jest.fn(() => Promise.resolve(new Set<string>())),
  };
  const service = new AgentsService(
    db as unknown as DatabaseService,
    agents as unknown as AgentsRepository,
    versions as unknown as VersionsRepository,
    new AgentAccessPolicy(acl as unknown as AclService, agents as unknown as AgentsRepository),
    acl as unknown as AclService,
    validator,
    config,
    { problems: jest.fn(() => Promise.resolve([])) } as unknown as AgentFileOwnership,
  );
  const expectNothingWritten = () => {
    expect(agents.insert).not.toHaveBeenCalled();
    expect(agents.save).not.toHaveBeenCalled();
    expect(agents.delete).not.toHaveBeenCalled();
    expect(versions.append).not.toHaveBeenCalled();
  };
  return { service, db, manager, agents, versions, expectNothingWritten };
}

function update(fields: UpdateAgentDto): UpdateAgentDto {
  return fields;
}

/** What a promise rejects with (or undefined when it resolves). */
function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** An agent at `version`, authored by `owner`, whose history holds one snapshot per version. */
function agentWithHistory(owner: AuthUser, count: number) {
  const history = Array.from({ length: count }, (_, i) => snapshot({ name: `Name v${i + 1}` }));
  const agent = agentEntity(owner.id, { version: count }, history[count - 1]);
  return { agent, history };
}

describe('AgentsService.update', () => {
  const owner = authUser();

  it('appends no version and returns the same version when nothing changes', async () => {
    const agent = agentEntity(owner.id, { version: 3 });
    const { service, expectNothingWritten } = setup({ agent });
    const result = await service.update(
      owner,
      agent.id,
      update({
        name: agent.name,
        tools: [...agent.tools],
        model_parameters: Object.fromEntries(Object.entries(agent.model_parameters).reverse()),
      }),
    );
    expect(result.version).toBe(3);
    expect(result.name).toBe(agent.name);
    expect(result.updatedAt).toBe(agent.updatedAt.toISOString());
    expectNothingWritten();
  });

  it('appends version + 1 with the new snapshot and the caller as its author when something changes', async () => {
    const agent = agentEntity(owner.id, { version: 2 });
    const { service, agents, versions, manager } = setup({ agent });
    const result = await service.update(owner, agent.id, update({ name: 'Renamed', description: null }));

    expect(result.version).toBe(3);
    expect(result.name).toBe('Renamed');
    expect(result.description).toBeNull();
    expect(new Date(result.updatedAt).getTime()).toBeGreaterThan(agent.updatedAt.getTime());

    const expected: AgentSnapshot = { ...takeSnapshot(agent), name: 'Renamed', description: null };
    expect(versions.append).toHaveBeenCalledTimes(1);
    expect(versions.append).toHaveBeenCalledWith(manager, {
      agentId: agent.id,
      version: 3,
      snapshot: expected,
      createdBy: owner.id,
      createdAt: expect.any(Date),
    });
    expect(agents.save).toHaveBeenCalledTimes(1);
    const saved = agents.save.mock.calls[0][1] as AgentEntity;
    expect(saved).toMatchObject({ id: agent.id, version: 3, name: 'Renamed', description: null, author: owner.id });
    expect(saved.createdAt).toEqual(agent.createdAt);
  });

  it('records the editor, not the author, as createdBy', async () => {
    const agent = agentEntity(owner.id);
    const { service, versions } = setup({ agent });
    const sameIdOtherName: AuthUser = { ...owner, name: 'Renamed owner' };
    await service.update(sameIdOtherName, agent.id, update({ category: 'hr' }));
    expect(versions.append.mock.calls[0][1]).toMatchObject({ createdBy: owner.id, version: 2 });
  });

  it('folds a top-level temperature into model_parameters and keeps the other parameters', async () => {
    const agent = agentEntity(owner.id, {}, { model_parameters: { temperature: 0.7, max_tokens: 512 } });
    const { service, versions } = setup({ agent });
    const result = await service.update(owner, agent.id, update({ temperature: 0.1 }));
    expect(result.model_parameters).toEqual({ temperature: 0.1, max_tokens: 512 });
    expect(versions.append.mock.calls[0][1].snapshot.model_parameters).toEqual({ temperature: 0.1, max_tokens: 512 });
  });

  it('rejects an unknown tool with a ValidationFailedError and writes nothing', async () => {
    const agent = agentEntity(owner.id);
    const { service, expectNothingWritten } = setup({ agent });
    const error = await rejection(service.update(owner, agent.id, update({ tools: ['calculator', 'nope'] })));
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).details.map((d) => d.field)).toEqual(['tools[1]']);
    expectNothingWritten();
  });

  it('fails with PreconditionFailedError and writes nothing when expectedVersion is stale', async () => {
    const agent = agentEntity(owner.id, { version: 4 });
    const { service, expectNothingWritten } = setup({ agent });
    await expect(service.update(owner, agent.id, update({ name: 'Mine' }), 3)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await expect(service.update(owner, agent.id, update({ name: 'Mine' }), 5)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expectNothingWritten();
  });

  it('applies the update when expectedVersion matches', async () => {
    const agent = agentEntity(owner.id, { version: 4 });
    const { service, versions } = setup({ agent });
    const result = await service.update(owner, agent.id, update({ name: 'Mine' }), 4);
    expect(result.version).toBe(5);
    expect(versions.append).toHaveBeenCalledTimes(1);
  });
});

describe('AgentsService.revert', () => {
  const owner = authUser();

  it('appends a new version whose snapshot equals the target version', async () => {
    const { agent, history } = agentWithHistory(owner, 3);
    const { service, versions, agents, manager } = setup({ agent, history });
    const result = await service.revert(owner, agent.id, { version: 1 });

    expect(versions.find).toHaveBeenCalledWith(agent.id, 1, manager);
    expect(result.version).toBe(4);
    expect(takeSnapshot(result)).toEqual(history[0]);
    expect(versions.append).toHaveBeenCalledTimes(1);
    expect(versions.append.mock.calls[0][1]).toMatchObject({
      agentId: agent.id,
      version: 4,
      snapshot: history[0],
      createdBy: owner.id,
    });
    expect(agents.save.mock.calls[0][1]).toMatchObject({ version: 4, name: 'Name v1' });
  });

  it('reads version_index i as version i + 1', async () => {
    const { agent, history } = agentWithHistory(owner, 3);
    const { service, versions } = setup({ agent, history });
    const result = await service.revert(owner, agent.id, { version_index: 1 });
    expect(versions.find.mock.calls[0][1]).toBe(2);
    expect(result.name).toBe('Name v2');
  });

  it('appends nothing when the target equals the current state', async () => {
    const { agent, history } = agentWithHistory(owner, 3);
    const { service, expectNothingWritten } = setup({ agent, history });
    const result = await service.revert(owner, agent.id, { version: 3 });
    expect(result.version).toBe(3);
    expectNothingWritten();
  });

  it('answers NotFoundError for a version that does not exist, writing nothing', async () => {
    const { agent, history } = agentWithHistory(owner, 2);
    const { service, expectNothingWritten } = setup({ agent, history });
    await expect(service.revert(owner, agent.id, { version: 3 })).rejects.toBeInstanceOf(NotFoundError);
    expectNothingWritten();
  });

  it('checks If-Match before reverting', async () => {
    const { agent, history } = agentWithHistory(owner, 3);
    const { service, versions, expectNothingWritten } = setup({ agent, history });
    await expect(service.revert(owner, agent.id, { version: 1 }, 2)).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(versions.find).not.toHaveBeenCalled();
    expectNothingWritten();
  });

  it('rejects a body with both or neither of version and version_index before touching anything', async () => {
    const { agent, history } = agentWithHistory(owner, 2);
    const { service, db, agents } = setup({ agent, history });
    await expect(service.revert(owner, agent.id, {})).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(service.revert(owner, agent.id, { version: 1, version_index: 0 })).rejects.toBeInstanceOf(
      ValidationFailedError,
    );
    expect(db.transaction).not.toHaveBeenCalled();
    expect(agents.findByIdForUpdate).not.toHaveBeenCalled();
  });
});

describe('targetVersion', () => {
  it('takes version as given and version_index i as version i + 1', () => {
    expect(targetVersion({ version: 7 })).toBe(7);
    expect(targetVersion({ version_index: 0 })).toBe(1);
    expect(targetVersion({ version_index: 4 })).toBe(5);
  });

  it.each([
    ['both', { version: 2, version_index: 1 }],
    ['neither', {}],
  ])('rejects %s with a ValidationFailedError naming version', (_label, dto) => {
    let error: unknown;
    try {
      targetVersion(dto);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).details.map((d) => d.field)).toEqual(['version']);
  });
});

describe('AgentsService access', () => {
  const owner = authUser();
  const stranger = authUser();
  const admin = authUser({ role: 'ADMIN' });

  it('lets an ADMIN who is not the author read and change the agent (ADMIN holds every bit)', async () => {
    const agent = agentEntity(owner.id);
    const { service, versions } = setup({ agent });
    await expect(service.get(admin, agent.id)).resolves.toMatchObject({ id: agent.id });
    await expect(service.update(admin, agent.id, update({ name: 'By admin' }))).resolves.toMatchObject({ version: 2 });
    expect(versions.append).toHaveBeenCalledTimes(1);
  });

  it.each([['a stranger', stranger]])(
    'hides the agent from %s with NotFoundError on get, update, revert and delete',
    async (_label, caller) => {
      const agent = agentEntity(owner.id);
      const { service, expectNothingWritten } = setup({ agent });
      await expect(service.get(caller, agent.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.update(caller, agent.id, update({ name: 'Taken' }))).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.revert(caller, agent.id, { version: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.delete(caller, agent.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.duplicate(caller, agent.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.listVersions(caller, agent.id, { limit: 20 })).rejects.toBeInstanceOf(NotFoundError);
      expectNothingWritten();
    },
  );

  it('answers NotFoundError for an unknown well-formed id', async () => {
    const { service } = setup({ agent: agentEntity(owner.id) });
    await expect(service.get(owner, newAgentId())).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.update(owner, newAgentId(), update({ name: 'x' }))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lets the author get and delete the agent', async () => {
    const agent = agentEntity(owner.id);
    const { service, agents, manager } = setup({ agent });
    await expect(service.get(owner, agent.id)).resolves.toMatchObject({ id: agent.id, author: owner.id });
    await service.delete(owner, agent.id);
    expect(agents.delete).toHaveBeenCalledWith(manager, agent.id);
  });

  it.each(['agent_short', 'not-an-agent', `agent_${'a'.repeat(22)}`, 'agent_aaaaaaaaaaaaaaaaaaa$%', "1' OR '1'='1"])(
    'answers NotFoundError for the malformed id %p without touching the repository',
    async (id) => {
      const { service, agents, versions, db } = setup({ agent: agentEntity(owner.id) });
      await expect(service.get(owner, id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.update(owner, id, update({ name: 'x' }))).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.revert(owner, id, { version: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.delete(owner, id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.duplicate(owner, id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.listVersions(owner, id, { limit: 20 })).rejects.toBeInstanceOf(NotFoundError);
      expect(agents.findById).not.toHaveBeenCalled();
      expect(agents.findByIdForUpdate).not.toHaveBeenCalled();
      expect(versions.find).not.toHaveBeenCalled();
      expect(versions.listNewestFirst).not.toHaveBeenCalled();
      expect(db.transaction).not.toHaveBeenCalled();
    },
  );
});

describe('AgentsService.duplicate', () => {
  const owner = authUser();

  it('creates a copy at version 1 named "<name> (copy)" with the same configuration', async () => {
    const agent = agentEntity(owner.id, { version: 5 }, { name: 'HR Helper' });
    const { service, agents, versions } = setup({ agent });
    const copy = await service.duplicate(owner, agent.id);

    expect(copy.id).not.toBe(agent.id);
    expect(copy.id).toMatch(/^agent_[A-Za-z0-9_-]{21}$/);
    expect(copy.name).toBe('HR Helper (copy)');
    expect(copy.version).toBe(1);
    expect(copy.author).toBe(owner.id);
    expect(copy.tools).toEqual(agent.tools);
    expect(copy.model_parameters).toEqual(agent.model_parameters);
    expect(agents.insert).toHaveBeenCalledTimes(1);
    expect(versions.append.mock.calls[0][1]).toMatchObject({
      agentId: copy.id,
      version: 1,
      createdBy: owner.id,
      snapshot: { ...takeSnapshot(agent), name: 'HR Helper (copy)' },
    });
  });

  describe('tool_resources file ids', () => {
    const files = { file_search: { file_ids: ['5f0c7d2e-8a4b-4c1d-9e3f-1a2b3c4d5e6f'] } };
    const copyBy = async (bits: number) => {
      const caller = authUser();
      const agent = agentEntity(owner.id, {}, { tool_resources: files });
      const { service } = setup({ agent, bitsOf: { [caller.id]: bits } });
      return service.duplicate(caller, agent.id);
    };

    it('are left out of a copy made by a viewer, a user or an editor', async () => {
      for (const bits of [1, 1 | 16, 1 | 2 | 16]) expect((await copyBy(bits)).tool_resources).toEqual({});
    });

    it('are kept in a copy made by an owner or by the author', async () => {
      expect((await copyBy(ALL_PERMISSIONS)).tool_resources).toEqual(files);
      const agent = agentEntity(owner.id, {}, { tool_resources: files });
      const { service } = setup({ agent });
      expect((await service.duplicate(owner, agent.id)).tool_resources).toEqual(files);
    });
  });

  it('keeps the copy name within 256 characters', async () => {
    const agent = agentEntity(owner.id, {}, { name: 'x'.repeat(256) });
    const { service } = setup({ agent });
    const copy = await service.duplicate(owner, agent.id);
    expect(copy.name).toHaveLength(256);
    expect(copy.name.endsWith(' (copy)')).toBe(true);
    expect(copy.name.startsWith('x'.repeat(249))).toBe(true);
  });
});

describe('AgentsService.create', () => {
  const owner = authUser();

  function createDto(fields: Partial<CreateAgentDto> = {}): CreateAgentDto {
    return { provider: 'openai', model: 'gpt-4o', ...fields };
  }

  it('stores version 1 with defaults and the canonical provider name', async () => {
    const { service, agents, versions } = setup();
    const created = await service.create(owner, createDto({ provider: 'openAI', temperature: 0.4 }));
    expect(created).toMatchObject({
      name: 'New Agent',
      provider: 'openai',
      version: 1,
      author: owner.id,
      category: 'general',
      description: null,
      tools: [],
      model_parameters: { temperature: 0.4 },
    });
    expect(agents.insert).toHaveBeenCalledTimes(1);
    expect(versions.append.mock.calls[0][1]).toMatchObject({ agentId: created.id, version: 1, createdBy: owner.id });
  });

  it('rejects an unknown provider and a contradicting temperature together, writing nothing', async () => {
    const { service, expectNothingWritten } = setup();
    const error = await rejection(
      service.create(owner, createDto({ provider: 'acme', temperature: 0.1, model_parameters: { temperature: 0.9 } })),
    );
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).details.map((d) => d.field).sort()).toEqual(['provider', 'temperature']);
    expectNothingWritten();
  });
});
