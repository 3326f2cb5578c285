import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { agentInput, createAgent, createUser, uploadFile, type TestUser } from './support/factories';
import { startTestApp, writeSearchConfig, type TestApp } from './support/test-app';

const AGENT_ID = /^agent_[A-Za-z0-9_-]{21}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The configurable fields a version captures (docs/http-api.md § Versions). */
const SNAPSHOT_FIELDS = [
  'name',
  'description',
  'instructions',
  'provider',
  'model',
  'model_parameters',
  'tools',
  'tool_resources',
  'avatar',
  'category',
  'conversation_starters',
  'artifacts',
  'recursion_limit',
  'support_contact',
  'edges',
  'end_after_tools',
  'hide_sequential_outputs',
  'is_promoted',
] as const;
const AGENT_FIELDS = [...SNAPSHOT_FIELDS, 'id', 'author', 'version', 'isPublic', 'createdAt', 'updatedAt'].sort();
const VERSION_FIELDS = [...SNAPSHOT_FIELDS, 'version', 'createdAt', 'updatedBy'].sort();
const LIST_FIELDS = ['after', 'data', 'first_id', 'has_more', 'last_id', 'object'];

interface Agent {
  id: string;
  name: string;
  description: string | null;
  version: number;
  author: string;
  category: string;
  createdAt: string;
  updatedAt: string;
  [field: string]: unknown;
}

interface AgentVersion {
  version: number;
  createdAt: string;
  updatedBy: string;
  [field: string]: unknown;
}

/** A well-formed agent id that no agent has. */
const unknownId = (): string => `agent_${randomUUID().replace(/-/g, '').slice(0, 21)}`;

function snapshotOf(source: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(SNAPSHOT_FIELDS.map((f) => [f, source[f]]));
}

/** The fields a 400 names in `details`, after checking the error shape. */
function badFields(res: Response): string[] {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  return (res.body.details as { field: string }[]).map((d) => d.field);
}

function expectError(res: Response, status: number, error: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ error, message: expect.any(String) });
}

/** True when `a` comes strictly before `b` in the list order (updatedAt desc, id desc). */
function listedBefore(a: Agent, b: Agent): boolean {
  return a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.id > b.id);
}

function expectListOrder(agents: Agent[]): void {
  for (let i = 1; i < agents.length; i++) {
    if (!listedBefore(agents[i - 1], agents[i])) {
      throw new Error(
        `list out of order at ${i}: ${JSON.stringify([agents[i - 1], agents[i]].map((a) => [a.updatedAt, a.id]))}`,
      );
    }
  }
}

describe('agents (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // A search backend is configured (never called here), so web_search may be enabled.
    t = await startTestApp({ CONFIG_PATH: writeSearchConfig() });
  });
  afterAll(() => t.close());

  // Small clients for each route, so tests read like the contract.
  const create = (u: TestUser, body: unknown): Test =>
    t.http
      .post('/api/agents')
      .set(u.auth)
      .send(body as object);
  const get = (u: TestUser, id: string): Test => t.http.get(`/api/agents/${id}`).set(u.auth);
  const patch = (u: TestUser, id: string, body: object, ifMatch?: string): Test => {
    const req = t.http.patch(`/api/agents/${id}`).set(u.auth);
    return (ifMatch === undefined ? req : req.set('If-Match', ifMatch)).send(body);
  };
  const remove = (u: TestUser, id: string): Test => t.http.delete(`/api/agents/${id}`).set(u.auth);
  const duplicate = (u: TestUser, id: string): Test => t.http.post(`/api/agents/${id}/duplicate`).set(u.auth);
  const versions = (u: TestUser, id: string, query: Record<string, string | number> = {}): Test =>
    t.http.get(`/api/agents/${id}/versions`).query(query).set(u.auth);
  const revert = (u: TestUser, id: string, body: object): Test =>
    t.http.post(`/api/agents/${id}/revert`).set(u.auth).send(body);
  const list = (u: TestUser, query: Record<string, string | number> = {}): Test =>
    t.http.get('/api/agents').query(query).set(u.auth);

  const newUser = (): Promise<TestUser> => createUser(t.http);
  const newAgent = async (u: TestUser, overrides: Record<string, unknown> = {}): Promise<Agent> =>
    (await createAgent(t.http, u, overrides)) as unknown as Agent;
  const listIds = async (u: TestUser, query: Record<string, string | number> = {}): Promise<string[]> =>
    ((await list(u, { limit: 100, ...query }).expect(200)).body.data as Agent[]).map((a) => a.id);
  const versionNumbers = async (u: TestUser, id: string): Promise<number[]> =>
    ((await versions(u, id, { limit: 100 }).expect(200)).body.data as AgentVersion[]).map((v) => v.version);
  const current = async (u: TestUser, id: string): Promise<Agent> => (await get(u, id).expect(200)).body as Agent;

  /** An agent at version 3: v1 as created, v2 renames it, v3 changes several fields. */
  async function agentWithHistory(u: TestUser): Promise<{ v1: Agent; v2: Agent; v3: Agent }> {
    const v1 = await newAgent(u, { name: 'First', model_parameters: { temperature: 0.2 }, tools: ['calculator'] });
    const v2 = (await patch(u, v1.id, { name: 'Second' }).expect(200)).body as Agent;
    const v3 = (
      await patch(u, v1.id, {
        description: 'Third description',
        model: 'gpt-4o-mini',
        model_parameters: { top_p: 0.5 },
        tools: ['web_search'],
        category: 'research',
        conversation_starters: ['Hello?'],
      }).expect(200)
    ).body as Agent;
    expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
    return { v1, v2, v3 };
  }

  describe('POST /api/agents', () => {
    it('answers 201 with every field of an agent, the caller as author, at version 1', async () => {
      const u = await newUser();
      const before = Date.now();
      const res = await create(u, agentInput({ name: 'HR Helper' })).expect(201);
      const agent = res.body as Agent;
      expect(Object.keys(agent).sort()).toEqual(AGENT_FIELDS);
      expect(agent).toEqual({
        id: expect.stringMatching(AGENT_ID),
        name: 'HR Helper',
        description: 'Helps with tests',
        instructions: 'Be brief.',
        provider: 'openai',
        model: 'gpt-4o',
        model_parameters: {},
        tools: [],
        tool_resources: {},
        author: u.id,
        avatar: null,
        category: 'general',
        conversation_starters: [],
        artifacts: '',
        recursion_limit: null,
        support_contact: null,
        edges: [],
        end_after_tools: false,
        hide_sequential_outputs: false,
        is_promoted: false,
        version: 1,
        isPublic: false,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      });
      expect(Date.parse(agent.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(agent.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('stores every configurable field and returns it unchanged on GET', async () => {
      const u = await newUser();
      const fileId = await uploadFile(t.http, u);
      const input = agentInput({
        provider: 'anthropic',
        model: 'claude-3-opus',
        model_parameters: { temperature: 0.5, max_tokens: 256, stop: ['END'] },
        tools: ['calculator', 'web_search'],
        tool_resources: { file_search: { file_ids: [fileId] } },
        avatar: { filepath: '/images/a.png', source: 'local' },
        category: 'hr',
        conversation_starters: ['What is our leave policy?'],
        artifacts: 'default',
        recursion_limit: 10,
        support_contact: { name: 'HR', email: 'hr@example.com' },
        edges: [{ from: unknownId(), to: [unknownId()], edgeType: 'direct' }],
        end_after_tools: true,
        hide_sequential_outputs: true,
        is_promoted: false,
      });
      const created = (await create(u, input).expect(201)).body as Agent;
      expect(snapshotOf(created)).toEqual(snapshotOf(input));
      expect(await current(u, created.id)).toEqual(created);
    });

    it('folds top-level temperature and top_p into model_parameters', async () => {
      const u = await newUser();
      const res = await create(
        u,
        agentInput({ temperature: 0.7, top_p: 0.9, model_parameters: { max_tokens: 100 } }),
      ).expect(201);
      expect(res.body.model_parameters).toEqual({ max_tokens: 100, temperature: 0.7, top_p: 0.9 });
      expect(res.body).not.toHaveProperty('temperature');
      expect(res.body).not.toHaveProperty('top_p');
    });

    it.each([
      ['openAI', 'openai'],
      ['Anthropic', 'anthropic'],
      ['GOOGLE', 'google'],
    ])('accepts provider %s case-insensitively and stores it as %s', async (given, stored) => {
      const u = await newUser();
      const res = await create(u, agentInput({ provider: given })).expect(201);
      expect(res.body.provider).toBe(stored);
    });

    it('accepts values at the bounds', async () => {
      const u = await newUser();
      await create(
        u,
        agentInput({
          name: 'n'.repeat(256),
          temperature: 2,
          top_p: 1,
          model_parameters: { temperature: 2, top_p: 1 },
          conversation_starters: ['a', 'b', 'c', 'd'],
        }),
      ).expect(201);
      await create(u, agentInput({ temperature: 0, top_p: 0 })).expect(201);
    });

    const without = (key: string) => (): Record<string, unknown> => {
      const body = agentInput();
      delete body[key];
      return body;
    };
    const rejected: [string, () => unknown, string][] = [
      ['missing provider', without('provider'), 'provider'],
      ['missing model', without('model'), 'model'],
      ['an unknown provider', () => agentInput({ provider: 'skynet' }), 'provider'],
      ['an unknown tool', () => agentInput({ tools: ['teleport'] }), 'tools[0]'],
      ['an unknown tool after a known one', () => agentInput({ tools: ['calculator', 'teleport'] }), 'tools[1]'],
      ['a name of 257 characters', () => agentInput({ name: 'n'.repeat(257) }), 'name'],
      ['temperature 2.1', () => agentInput({ temperature: 2.1 }), 'temperature'],
      ['top_p 1.5', () => agentInput({ top_p: 1.5 }), 'top_p'],
      [
        'model_parameters.temperature -1',
        () => agentInput({ model_parameters: { temperature: -1 } }),
        'model_parameters.temperature',
      ],
      ['an unknown top-level field', () => agentInput({ owner: 'someone-else' }), 'owner'],
      [
        'an unknown nested field',
        () => agentInput({ model_parameters: { temperature: 1, secret_knob: 3 } }),
        'model_parameters.secret_knob',
      ],
      [
        '5 conversation starters',
        () => agentInput({ conversation_starters: ['1', '2', '3', '4', '5'] }),
        'conversation_starters',
      ],
      [
        'a non-UUID file id in tool_resources',
        () => agentInput({ tool_resources: { file_search: { file_ids: ['../../etc/passwd'] } } }),
        'tool_resources.file_search.file_ids',
      ],
    ];

    it.each(rejected)('rejects %s with 400 naming the field, and stores nothing', async (_case, body, field) => {
      const u = await newUser();
      const res = await create(u, body());
      expect(badFields(res)).toContain(field);
      expect(await listIds(u)).toEqual([]);
    });

    describe('parameters the provider cannot take', () => {
      const details = (res: Response): { field: string; message: string }[] =>
        res.body.details as { field: string; message: string }[];

      it('refuses on create a parameter the provider cannot take, naming the field, and stores nothing', async () => {
        const u = await newUser();
        const res = await create(u, agentInput({ provider: 'openai', model_parameters: { thinking_budget: 2048 } }));
        expect(badFields(res)).toEqual(['model_parameters.thinking_budget']);
        expect(details(res)[0].message).toContain('"openai"');
        expect(await listIds(u)).toEqual([]);
      });

      it("refuses Anthropic's thinking rules on create, naming each field", async () => {
        const u = await newUser();
        const res = await create(
          u,
          agentInput({
            provider: 'anthropic',
            model: 'claude-sonnet-4-5',
            temperature: 0.5,
            model_parameters: { thinking_budget: 512, top_k: 10 },
          }),
        );
        expect(badFields(res).sort()).toEqual([
          'model_parameters.thinking_budget',
          'model_parameters.top_k',
          'temperature',
        ]);
        const thinking = { thinking_budget: 1024 };
        await create(u, agentInput({ provider: 'anthropic', model: 'claude-x', model_parameters: thinking })).expect(
          201,
        );
      });

      it('re-checks the kept parameters when an update changes the provider, and the new ones against the kept provider', async () => {
        const u = await newUser();
        const agent = await newAgent(u, { provider: 'openai', model_parameters: { presence_penalty: 0.5 } });

        const moved = await patch(u, agent.id, { provider: 'anthropic', model: 'claude-sonnet-4-5' });
        expect(badFields(moved)).toEqual(['model_parameters.presence_penalty']);
        expect(details(moved)[0].message).toContain('"anthropic"');

        const added = await patch(u, agent.id, { model_parameters: { presence_penalty: 0.5, top_k: 3 } });
        expect(badFields(added)).toEqual(['model_parameters.top_k']);
        expect((await current(u, agent.id)).version).toBe(1);

        // Dropping what the new provider cannot take in the same update is accepted.
        const cleared = { provider: 'anthropic', model: 'claude-sonnet-4-5', model_parameters: {} };
        await patch(u, agent.id, cleared).expect(200);
      });
    });

    it('rejects a body over 1 MiB with 413, and stores nothing', async () => {
      const u = await newUser();
      const res = await create(u, agentInput({ instructions: 'x'.repeat(1024 * 1024 + 1) }));
      expectError(res, 413, 'Payload Too Large');
      expect(await listIds(u)).toEqual([]);
    });

    it('rejects malformed JSON with 400, and stores nothing', async () => {
      const u = await newUser();
      const res = await t.http
        .post('/api/agents')
        .set(u.auth)
        .set('Content-Type', 'application/json')
        .send('{"name": "Broken", "provider": ');
      expectError(res, 400, 'Bad Request');
      expect(res.body.message).toBe('The request body is not valid JSON'); // never the parser's echo of the input
      expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|SyntaxError/);
      expect(await listIds(u)).toEqual([]);
    });
  });

  describe('avatar.filepath and text fields', () => {
    const avatar = (filepath: string) => ({ avatar: { filepath, source: 'url' } });

    it.each([
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      'data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+',
      '//evil.example/x',
      '/\\evil.example/x',
      'ftp://files.example.com/a.png',
      'images/a.png',
    ])('rejects avatar.filepath %p with 400 naming it, on create and on update', async (filepath) => {
      const u = await newUser();
      expect(badFields(await create(u, agentInput(avatar(filepath))))).toEqual(['avatar.filepath']);
      expect(await listIds(u)).toEqual([]);
      const agent = await newAgent(u);
      expect(badFields(await patch(u, agent.id, avatar(filepath)))).toEqual(['avatar.filepath']);
      expect(await current(u, agent.id)).toEqual(agent);
    });

    it.each(['https://cdn.example.com/avatars/a.png', 'http://localhost:3080/a.png', '/images/a.png'])(
      'accepts avatar.filepath %p',
      async (filepath) => {
        const u = await newUser();
        const created = await create(u, agentInput(avatar(filepath))).expect(201);
        expect(created.body.avatar).toEqual({ filepath, source: 'url' });
        const other = await newAgent(u);
        const updated = await patch(u, other.id, avatar(filepath)).expect(200);
        expect(updated.body.avatar).toEqual({ filepath, source: 'url' });
      },
    );

    it('stores and returns HTML in text fields verbatim: escaping is the client’s job', async () => {
      const u = await newUser();
      const html = '<img src=x onerror="alert(1)"><b>Bot</b> &amp;';
      const agent = await newAgent(u, { name: html, description: html, conversation_starters: [html] });
      expect(agent).toMatchObject({ name: html, description: html, conversation_starters: [html] });
      expect(await current(u, agent.id)).toMatchObject({ name: html, description: html });
    });
  });

  describe('authentication', () => {
    let owner: TestUser;
    let agent: Agent;

    beforeAll(async () => {
      owner = await newUser();
      agent = await newAgent(owner);
    });

    it.each([
      ['GET', '/api/agents'],
      ['POST', '/api/agents'],
      ['GET', '/api/agents/tools'],
      ['GET', '/api/agents/:id'],
      ['PATCH', '/api/agents/:id'],
      ['DELETE', '/api/agents/:id'],
      ['POST', '/api/agents/:id/duplicate'],
      ['GET', '/api/agents/:id/versions'],
      ['POST', '/api/agents/:id/revert'],
    ])('answers 401 to %s %s without a token', async (method, path) => {
      const url = path.replace(':id', agent.id);
      const res = await t.http[method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](url).send({
        ...agentInput(),
        version: 1,
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'Unauthorized', message: expect.any(String) });
    });

    it('left the agent untouched after the unauthenticated writes', async () => {
      expect(await current(owner, agent.id)).toEqual(agent);
      expect(await versionNumbers(owner, agent.id)).toEqual([1]);
    });
  });

  describe('access to agents of others and unknown ids', () => {
    type Op = (u: TestUser, id: string) => Test;
    const ops: [string, Op][] = [
      ['get', (u, id) => get(u, id)],
      ['patch', (u, id) => patch(u, id, { name: 'Hijacked' })],
      ['delete', (u, id) => remove(u, id)],
      ['duplicate', (u, id) => duplicate(u, id)],
      ['versions', (u, id) => versions(u, id)],
      ['revert', (u, id) => revert(u, id, { version: 1 })],
    ];

    let owner: TestUser;
    let stranger: TestUser;
    let agent: Agent;

    beforeAll(async () => {
      owner = await newUser();
      stranger = await newUser();
      agent = await newAgent(owner, { name: 'Private' });
      await patch(owner, agent.id, { description: 'Second version' }).expect(200);
      agent = await current(owner, agent.id);
    });

    it.each(ops)("answers 404 to %s on another user's agent and changes nothing", async (_op, op) => {
      const res = await op(stranger, agent.id);
      expectError(res, 404, 'Not Found');
      expect(await current(owner, agent.id)).toEqual(agent);
      expect(await versionNumbers(owner, agent.id)).toEqual([2, 1]);
      expect(await listIds(stranger)).toEqual([]);
    });

    it("leaves another user's agent out of the caller's list", async () => {
      const own = await newAgent(stranger);
      expect(await listIds(stranger)).toEqual([own.id]);
      expect(await listIds(owner)).toContain(agent.id);
    });

    const badIds: [string, () => string][] = [
      ['an unknown id', unknownId],
      ['a malformed id', () => 'not-an-agent-id'],
      ['an over-long id', () => `agent_${'x'.repeat(200)}`],
      ['a quoted id', () => "agent_'; DROP TABLE agents; --"],
    ];
    const cases = ops.flatMap(([name, op]) => badIds.map(([label, id]) => [name, label, op, id] as const));

    it.each(cases)('answers 404 to %s with %s', async (_op, _label, op, id) => {
      expectError(await op(owner, encodeURIComponent(id())), 404, 'Not Found');
    });
  });

  describe('GET /api/agents/:id', () => {
    it('returns an ETag equal to "<version>"', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      expect((await get(u, agent.id).expect(200)).headers.etag).toBe('"1"');
      await patch(u, agent.id, { name: 'Renamed' }).expect(200);
      expect((await get(u, agent.id).expect(200)).headers.etag).toBe('"2"');
    });
  });

  describe('PATCH /api/agents/:id', () => {
    it('changes the fields present, keeps the others and bumps the version', async () => {
      const u = await newUser();
      const agent = await newAgent(u, { model_parameters: { temperature: 1 } });
      const res = await patch(u, agent.id, {
        description: 'Updated',
        model_parameters: { top_p: 0.4 },
        tools: ['calculator'],
      }).expect(200);
      const updated = res.body as Agent;
      expect(updated).toEqual({
        ...agent,
        description: 'Updated',
        model_parameters: { top_p: 0.4 },
        tools: ['calculator'],
        version: 2,
        updatedAt: expect.stringMatching(ISO),
      });
      expect(updated.updatedAt >= agent.updatedAt).toBe(true);
      expect(res.headers.etag).toBe('"2"');
      expect(await current(u, agent.id)).toEqual(updated);
    });

    it('clears description and instructions with null', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      const res = await patch(u, agent.id, { description: null, instructions: null }).expect(200);
      expect(res.body).toMatchObject({ description: null, instructions: null, version: 2 });
      expect(await current(u, agent.id)).toMatchObject({ description: null, instructions: null });
    });

    it('returns the agent unchanged and records no version when nothing changes', async () => {
      const u = await newUser();
      const agent = await newAgent(u, { model_parameters: { temperature: 0.3, top_p: 0.9 } });
      const same = await patch(u, agent.id, {
        name: agent.name,
        description: agent.description,
        model_parameters: { top_p: 0.9, temperature: 0.3 },
      }).expect(200);
      expect(same.body).toEqual(agent);
      await patch(u, agent.id, {}).expect(200);
      expect(await current(u, agent.id)).toEqual(agent);
      expect(await versionNumbers(u, agent.id)).toEqual([1]);
    });

    it.each([
      ['the ETag form', '"1"'],
      ['a bare number', '1'],
    ])('succeeds with If-Match naming the current version (%s)', async (_form, ifMatch) => {
      const u = await newUser();
      const agent = await newAgent(u);
      const res = await patch(u, agent.id, { name: 'Conditional' }, ifMatch).expect(200);
      expect(res.body).toMatchObject({ name: 'Conditional', version: 2 });
    });

    it('answers 412 to a stale If-Match and leaves the agent unchanged', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      const v2 = (await patch(u, agent.id, { name: 'Second' }).expect(200)).body as Agent;
      const res = await patch(u, agent.id, { name: 'Overwrite' }, '"1"');
      expectError(res, 412, 'Precondition Failed');
      expect(await current(u, agent.id)).toEqual(v2);
      expect(await versionNumbers(u, agent.id)).toEqual([2, 1]);
    });

    it('answers 400 naming If-Match to a malformed If-Match and leaves the agent unchanged', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      expect(badFields(await patch(u, agent.id, { name: 'X' }, 'version-one'))).toEqual(['If-Match']);
      expect(await current(u, agent.id)).toEqual(agent);
    });

    it('answers 400 naming `name` to name: null', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      expect(badFields(await patch(u, agent.id, { name: null }))).toEqual(['name']);
      expect(await current(u, agent.id)).toEqual(agent);
    });

    it('rejects an invalid patch as a whole: no field of it is applied', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      const res = await patch(u, agent.id, { description: 'Would change', tools: ['calculator', 'teleport'] });
      expect(badFields(res)).toEqual(['tools[1]']);
      expect(await current(u, agent.id)).toEqual(agent);
      expect(await versionNumbers(u, agent.id)).toEqual([1]);
    });
  });

  describe('concurrent PATCHes', () => {
    it('lets exactly one of two PATCHes with the same If-Match win; the other gets 412', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      const results = await Promise.all([
        patch(u, agent.id, { name: 'Editor A' }, '"1"'),
        patch(u, agent.id, { name: 'Editor B' }, '"1"'),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
      const winner = results.find((r) => r.status === 200)!.body as Agent;
      expect(await current(u, agent.id)).toEqual(winner);
      expect(await versionNumbers(u, agent.id)).toEqual([2, 1]);
    });

    it('serialises unconditional PATCHes into a gap-free history', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      const n = 8;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => patch(u, agent.id, { name: `Concurrent ${i}` })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(n).fill(200));
      expect(results.map((r) => r.body.version as number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: n }, (_, i) => i + 2),
      );
      expect(await versionNumbers(u, agent.id)).toEqual(Array.from({ length: n + 1 }, (_, i) => n + 1 - i));
      expect((await current(u, agent.id)).version).toBe(n + 1);
    });
  });

  describe('GET /api/agents/:id/versions', () => {
    it('lists every version newest first with version, createdAt, updatedBy and the snapshot', async () => {
      const u = await newUser();
      const { v1, v2, v3 } = await agentWithHistory(u);
      const res = await versions(u, v1.id).expect(200);
      const data = res.body.data as AgentVersion[];
      expect(data.map((v) => v.version)).toEqual([3, 2, 1]);
      for (const v of data) {
        expect(Object.keys(v).sort()).toEqual(VERSION_FIELDS);
        expect(v.createdAt).toMatch(ISO);
        expect(v.updatedBy).toBe(u.id);
      }
      expect(snapshotOf(data[0])).toEqual(snapshotOf(v3));
      expect(snapshotOf(data[1])).toEqual(snapshotOf(v2));
      expect(snapshotOf(data[2])).toEqual(snapshotOf(v1));
      expect(data[2].createdAt).toBe(v1.createdAt);
      expect(res.body).toMatchObject({ has_more: false, after: null });
    });

    it('paginates with limit and cursor', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      for (let i = 2; i <= 5; i++) await patch(u, agent.id, { name: `Name ${i}` }).expect(200);

      const pages: number[][] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string | number> = cursor === null ? { limit: 2 } : { limit: 2, cursor };
        const res = await versions(u, agent.id, query).expect(200);
        pages.push((res.body.data as AgentVersion[]).map((v) => v.version));
        expect(res.body.has_more).toBe(res.body.after !== null);
        cursor = res.body.after as string | null;
      } while (cursor !== null && pages.length < 10);
      expect(pages).toEqual([[5, 4], [3, 2], [1]]);
    });

    it.each([
      ['limit', { limit: 0 }],
      ['limit', { limit: 101 }],
      ['cursor', { cursor: 'tampered!' }],
      ['cursor', { cursor: Buffer.from('v0').toString('base64url') }],
    ])('rejects a bad %s with 400', async (field, query) => {
      const u = await newUser();
      const agent = await newAgent(u);
      expect(badFields(await versions(u, agent.id, query))).toEqual([field]);
    });
  });

  describe('POST /api/agents/:id/revert', () => {
    it('returns the fields of version 1 as a new version 4', async () => {
      const u = await newUser();
      const { v1 } = await agentWithHistory(u);
      const res = await revert(u, v1.id, { version: 1 }).expect(200);
      const reverted = res.body as Agent;
      expect(reverted.version).toBe(4);
      expect(snapshotOf(reverted)).toEqual(snapshotOf(v1));
      expect(res.headers.etag).toBe('"4"');
      expect(await current(u, v1.id)).toEqual(reverted);
      const history = (await versions(u, v1.id).expect(200)).body.data as AgentVersion[];
      expect(history.map((v) => v.version)).toEqual([4, 3, 2, 1]);
      expect(snapshotOf(history[0])).toEqual(snapshotOf(v1));
      expect(history[0].updatedBy).toBe(u.id);
    });

    it('reads {version_index: 0} as version 1', async () => {
      const u = await newUser();
      const { v1 } = await agentWithHistory(u);
      const res = await revert(u, v1.id, { version_index: 0 }).expect(200);
      expect(res.body.version).toBe(4);
      expect(snapshotOf(res.body as Agent)).toEqual(snapshotOf(v1));
    });

    it('reads {version_index: 1} as version 2', async () => {
      const u = await newUser();
      const { v1, v2 } = await agentWithHistory(u);
      const res = await revert(u, v1.id, { version_index: 1 }).expect(200);
      expect(snapshotOf(res.body as Agent)).toEqual(snapshotOf(v2));
    });

    it.each([
      ['both version and version_index', { version: 1, version_index: 0 }],
      ['neither', {}],
      ['version 0', { version: 0 }],
      ['a string version', { version: '1' }],
      ['a fractional version', { version: 1.5 }],
      ['a negative version_index', { version_index: -1 }],
      ['an unknown field', { version: 1, force: true }],
    ])('answers 400 to %s and changes nothing', async (_case, body) => {
      const u = await newUser();
      const { v3 } = await agentWithHistory(u);
      const fields = badFields(await revert(u, v3.id, body));
      expect(fields.length).toBeGreaterThan(0);
      expect(await current(u, v3.id)).toEqual(v3);
    });

    it('answers 404 to a version that does not exist and changes nothing', async () => {
      const u = await newUser();
      const { v3 } = await agentWithHistory(u);
      expectError(await revert(u, v3.id, { version: 4 }), 404, 'Not Found');
      expectError(await revert(u, v3.id, { version_index: 99 }), 404, 'Not Found');
      expect(await current(u, v3.id)).toEqual(v3);
      expect(await versionNumbers(u, v3.id)).toEqual([3, 2, 1]);
    });

    it('can itself be reverted', async () => {
      const u = await newUser();
      const { v1, v3 } = await agentWithHistory(u);
      await revert(u, v1.id, { version: 1 }).expect(200);
      const undone = (await revert(u, v1.id, { version: 3 }).expect(200)).body as Agent;
      expect(undone.version).toBe(5);
      expect(snapshotOf(undone)).toEqual(snapshotOf(v3));
      expect(await versionNumbers(u, v1.id)).toEqual([5, 4, 3, 2, 1]);
    });

    it('honours If-Match: a stale version answers 412', async () => {
      const u = await newUser();
      const { v3 } = await agentWithHistory(u);
      expectError(await revert(u, v3.id, { version: 1 }).set('If-Match', '"2"'), 412, 'Precondition Failed');
      expect(await current(u, v3.id)).toEqual(v3);
      await revert(u, v3.id, { version: 1 }).set('If-Match', '"3"').expect(200);
    });
  });

  describe('POST /api/agents/:id/duplicate', () => {
    it('answers 201 with a copy: new id, version 1, the caller as author, " (copy)" appended', async () => {
      const u = await newUser();
      const { v3 } = await agentWithHistory(u);
      const res = await duplicate(u, v3.id).expect(201);
      const copy = res.body as Agent;
      expect(Object.keys(copy).sort()).toEqual(AGENT_FIELDS);
      expect(copy.id).toMatch(AGENT_ID);
      expect(copy.id).not.toBe(v3.id);
      expect(copy).toMatchObject({ version: 1, author: u.id, isPublic: false, name: `${v3.name} (copy)` });
      expect(snapshotOf(copy)).toEqual({ ...snapshotOf(v3), name: `${v3.name} (copy)` });
    });

    it('leaves the original unchanged and gives the copy a history of its own', async () => {
      const u = await newUser();
      const { v3 } = await agentWithHistory(u);
      const copy = (await duplicate(u, v3.id).expect(201)).body as Agent;
      expect(await current(u, v3.id)).toEqual(v3);
      expect(await versionNumbers(u, v3.id)).toEqual([3, 2, 1]);
      expect(await versionNumbers(u, copy.id)).toEqual([1]);
    });

    it('lists the copy first, next to the original', async () => {
      const u = await newUser();
      const original = await newAgent(u);
      const copy = (await duplicate(u, original.id).expect(201)).body as Agent;
      expect(await listIds(u)).toEqual([copy.id, original.id]);
    });

    it('keeps a long name within 256 characters', async () => {
      const u = await newUser();
      const original = await newAgent(u, { name: 'n'.repeat(256) });
      const copy = (await duplicate(u, original.id).expect(201)).body as Agent;
      expect(copy.name).toHaveLength(256);
      expect(copy.name.endsWith(' (copy)')).toBe(true);
    });
  });

  describe('DELETE /api/agents/:id', () => {
    it('answers 200 {message: "Agent deleted"} and the agent, its listing and its versions are gone', async () => {
      const u = await newUser();
      const { v3 } = await agentWithHistory(u);
      const kept = await newAgent(u);
      const res = await remove(u, v3.id).expect(200);
      expect(res.body).toEqual({ message: 'Agent deleted' });
      expectError(await get(u, v3.id), 404, 'Not Found');
      expectError(await versions(u, v3.id), 404, 'Not Found');
      expectError(await revert(u, v3.id, { version: 1 }), 404, 'Not Found');
      expect(await listIds(u)).toEqual([kept.id]);
    });

    it('answers 404 to a second delete', async () => {
      const u = await newUser();
      const agent = await newAgent(u);
      await remove(u, agent.id).expect(200);
      expectError(await remove(u, agent.id), 404, 'Not Found');
    });
  });

  describe('GET /api/agents', () => {
    it('answers the list envelope, empty for a new user', async () => {
      const u = await newUser();
      const res = await list(u).expect(200);
      expect(res.body).toEqual({
        object: 'list',
        data: [],
        first_id: null,
        last_id: null,
        has_more: false,
        after: null,
      });
    });

    it('pages with first_id, last_id, has_more and after', async () => {
      const u = await newUser();
      for (let i = 0; i < 3; i++) await newAgent(u);
      const first = await list(u, { limit: 2 }).expect(200);
      expect(Object.keys(first.body).sort()).toEqual(LIST_FIELDS);
      const page1 = first.body.data as Agent[];
      expect(page1).toHaveLength(2);
      expect(first.body).toMatchObject({
        object: 'list',
        first_id: page1[0].id,
        last_id: page1[1].id,
        has_more: true,
        after: expect.any(String),
      });
      for (const a of page1) expect(Object.keys(a).sort()).toEqual(AGENT_FIELDS);

      const second = await list(u, { limit: 2, cursor: first.body.after as string }).expect(200);
      const page2 = second.body.data as Agent[];
      expect(page2).toHaveLength(1);
      expect(second.body).toMatchObject({ first_id: page2[0].id, last_id: page2[0].id, has_more: false, after: null });
      expectListOrder([...page1, ...page2]);
    });

    it('returns 20 agents by default', async () => {
      const u = await newUser();
      await Promise.all(Array.from({ length: 21 }, () => newAgent(u)));
      const res = await list(u).expect(200);
      expect(res.body.data).toHaveLength(20);
      expect(res.body.has_more).toBe(true);
    });

    it('orders by updatedAt, newest first, and moves an updated agent to the top', async () => {
      const u = await newUser();
      const oldest = await newAgent(u);
      const middle = await newAgent(u);
      const newest = await newAgent(u);
      const before = (await list(u).expect(200)).body.data as Agent[];
      expectListOrder(before);
      expect(before.map((a) => a.id)).toEqual([newest.id, middle.id, oldest.id]);

      await patch(u, oldest.id, { description: 'Touched' }).expect(200);
      const after = (await list(u).expect(200)).body.data as Agent[];
      expectListOrder(after);
      expect(after.map((a) => a.id)).toEqual([oldest.id, newest.id, middle.id]);
    });

    it.each([['0'], ['101'], ['abc'], ['1.5'], ['-1']])('rejects limit=%s with 400 naming `limit`', async (limit) => {
      const u = await newUser();
      expect(badFields(await list(u, { limit }))).toEqual(['limit']);
    });

    it.each([['1'], ['100']])('accepts limit=%s', async (limit) => {
      const u = await newUser();
      await newAgent(u);
      expect((await list(u, { limit }).expect(200)).body.data).toHaveLength(1);
    });

    it('rejects a tampered cursor with 400 naming `cursor`', async () => {
      const u = await newUser();
      await newAgent(u);
      await newAgent(u);
      const real = (await list(u, { limit: 1 }).expect(200)).body.after as string;
      const tampered = [
        `XXXX${real.slice(4)}`,
        'not a cursor',
        Buffer.from('["yesterday","agent_x"]').toString('base64url'),
        Buffer.from('{"at":1}').toString('base64url'),
        'A'.repeat(600),
      ];
      for (const cursor of tampered) expect(badFields(await list(u, { cursor }))).toEqual(['cursor']);
    });

    it('searches names case-insensitively', async () => {
      const u = await newUser();
      const alpha = await newAgent(u, { name: 'Alpha Helper' });
      await newAgent(u, { name: 'Beta Bot' });
      expect(await listIds(u, { search: 'aLpHa' })).toEqual([alpha.id]);
    });

    it('searches descriptions too', async () => {
      const u = await newUser();
      const zebra = await newAgent(u, { name: 'Plain', description: 'Knows about Zebras' });
      await newAgent(u, { name: 'Other' });
      expect(await listIds(u, { search: 'zebra' })).toEqual([zebra.id]);
    });

    it('treats % and _ in a search as literal characters', async () => {
      const u = await newUser();
      const percent = await newAgent(u, { name: '100% sure' });
      const underscore = await newAgent(u, { name: 'snake_case' });
      await newAgent(u, { name: 'Plain 100 agent' });
      await newAgent(u, { name: 'snakeXcase' });
      expect(await listIds(u, { search: '%' })).toEqual([percent.id]);
      expect(await listIds(u, { search: '100%' })).toEqual([percent.id]);
      expect(await listIds(u, { search: 'e_c' })).toEqual([underscore.id]);
    });

    it('filters by category', async () => {
      const u = await newUser();
      const hr = await newAgent(u, { category: 'hr' });
      const general = await newAgent(u);
      expect(await listIds(u, { category: 'hr' })).toEqual([hr.id]);
      expect(await listIds(u, { category: 'general' })).toEqual([general.id]);
      expect(await listIds(u, { category: 'finance' })).toEqual([]);
    });

    it('pages a filtered list with the cursor', async () => {
      const u = await newUser();
      const hr: string[] = [];
      for (let i = 0; i < 5; i++) {
        hr.push((await newAgent(u, { category: 'hr' })).id);
        await newAgent(u);
      }
      const first = await list(u, { category: 'hr', limit: 3 }).expect(200);
      const second = await list(u, { category: 'hr', limit: 3, cursor: first.body.after as string }).expect(200);
      const walked = [...(first.body.data as Agent[]), ...(second.body.data as Agent[])].map((a) => a.id);
      expect(walked).toEqual([...hr].reverse());
      expect(second.body.has_more).toBe(false);
    });

    it('walks every page with no duplicates and no gaps while agents are being created', async () => {
      const u = await newUser();
      const seeded = new Set<string>();
      // Batches of parallel creates, so that several agents share an updatedAt millisecond.
      for (let batch = 0; batch < 9; batch++) {
        const agents = await Promise.all(Array.from({ length: 5 }, () => newAgent(u)));
        for (const a of agents) seeded.add(a.id);
      }

      let walking = true;
      const createdDuringWalk: string[] = [];
      const writer = (async () => {
        while (walking) createdDuringWalk.push((await newAgent(u)).id);
      })();

      const walked: Agent[] = [];
      try {
        let cursor: string | null = null;
        let pages = 0;
        do {
          const query: Record<string, string | number> = cursor === null ? { limit: 10 } : { limit: 10, cursor };
          const res = await list(u, query).expect(200);
          const page = res.body.data as Agent[];
          if (res.body.has_more) expect(page).toHaveLength(10);
          walked.push(...page);
          cursor = res.body.after as string | null;
          pages += 1;
          // Give the writer room to insert between pages.
          await new Promise((r) => setTimeout(r, 15));
        } while (cursor !== null && pages < 50);
      } finally {
        walking = false;
        await writer;
      }

      expect(createdDuringWalk.length).toBeGreaterThan(0);
      const ids = walked.map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of seeded) expect(ids).toContain(id);
      const known = new Set([...seeded, ...createdDuringWalk]);
      expect(ids.filter((id) => !known.has(id))).toEqual([]);
      expectListOrder(walked);
    });
  });

  describe('GET /api/agents/providers', () => {
    it('lists the providers an agent may name, saying which this deployment can call and what the others need', async () => {
      const u = await newUser();
      const res = await t.http.get('/api/agents/providers').set(u.auth).expect(200);
      expect(res.body).toEqual([
        {
          name: 'openai',
          kind: 'builtin',
          models: [],
          modelsSource: 'none',
          configured: false,
          missing: 'OPENAI_API_KEY or OPENAI_BASE_URL',
        },
        {
          name: 'anthropic',
          kind: 'builtin',
          models: [],
          modelsSource: 'none',
          configured: false,
          missing: 'ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL',
        },
        {
          name: 'google',
          kind: 'builtin',
          models: [],
          modelsSource: 'none',
          configured: false,
          missing: 'GOOGLE_API_KEY or GOOGLE_BASE_URL',
        },
      ]);
      await t.http.get('/api/agents/providers').expect(401);
    });
  });

  describe('GET /api/agents/tools', () => {
    it('lists the tools this deployment runs with id, name, description and JSON Schema', async () => {
      const u = await newUser();
      const res = await t.http.get('/api/agents/tools').set(u.auth).expect(200);
      const tools = res.body as { id: string; name: string; description: string; parameters: unknown }[];
      const ids = tools.map((tool) => tool.id);
      expect(ids).toEqual(expect.arrayContaining(['calculator', 'web_search']));
      expect(ids).not.toContain('dalle'); // no image model endpoint is configured here
      for (const tool of tools) {
        expect(tool).toMatchObject({ source: 'builtin', available: true, parameters: { type: 'object' } });
        expect(tool.name.length).toBeGreaterThan(0);
        expect(tool.description.length).toBeGreaterThan(0);
      }
    });

    it('refuses a built-in this deployment is not set up for, saying what it needs', async () => {
      const u = await newUser();
      const res = await create(u, agentInput({ tools: ['calculator', 'dalle', 'image_gen'] }));
      expect(res.status).toBe(400);
      expect(badFields(res)).toEqual(['tools[1]', 'tools[2]']);
      expect(JSON.stringify(res.body)).toContain('no image model or OpenAI endpoint');
    });

    it('offers only tools an agent may enable', async () => {
      const u = await newUser();
      const tools = (await t.http.get('/api/agents/tools').set(u.auth).expect(200)).body as { id: string }[];
      const ids = tools.map((tool) => tool.id);
      const res = await create(u, agentInput({ tools: ids })).expect(201);
      expect(res.body.tools).toEqual(ids);
    });
  });
});
