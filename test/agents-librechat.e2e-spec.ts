import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { agentInput, createAgent, createUser, uploadFile, type TestUser } from './support/factories';
import { share } from './support/sharing';
import { startTestApp, type TestApp } from './support/test-app';

/** A well-formed agent id that no agent has. */
const agentId = (): string => `agent_${randomUUID().replace(/-/g, '').slice(0, 21)}`;

/** What LibreChat's agent builder sends on save, beyond the fields every client sends. */
function libreChatBuilderFields(contextFileId: string): Record<string, unknown> {
  const [a, b, c] = [agentId(), agentId(), agentId()];
  return {
    artifacts: 'shadcnui',
    recursion_limit: 40,
    support_contact: { name: 'HR team', email: 'hr@example.com' },
    edges: [
      { from: a, to: b, edgeType: 'handoff', description: 'Billing questions', prompt: 'Summarise.', promptKey: 'p' },
      { from: [a, b], to: c, edgeType: 'direct', excludeResults: true },
    ],
    end_after_tools: true,
    hide_sequential_outputs: true,
    category: 'hr',
    conversation_starters: ['What is our leave policy?'],
    is_promoted: false,
    model_parameters: { temperature: 0.4, maxContextTokens: 128000, resendFiles: true },
    tool_resources: { context: { file_ids: [contextFileId] }, file_search: { file_ids: [] } },
  };
}

const LIBRECHAT_FIELDS = [
  'artifacts',
  'recursion_limit',
  'support_contact',
  'edges',
  'end_after_tools',
  'hide_sequential_outputs',
  'category',
  'conversation_starters',
  'is_promoted',
  'model_parameters',
  'tool_resources',
] as const;

const pick = (source: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(fields.map((f) => [f, source[f]]));

/**
 * What a caller who can see or use an agent, but not EDIT it, gets (docs/http-api.md § Agents);
 * `author` only to the author.
 */
const CARD_FIELDS = [
  'id',
  'name',
  'description',
  'avatar',
  'category',
  'conversation_starters',
  'support_contact',
  'provider',
  'model',
  'is_promoted',
  'version',
  'isPublic',
  'createdAt',
  'updatedAt',
].sort();
const CONFIGURATION = ['instructions', 'tools', 'tool_resources', 'model_parameters', 'edges', 'recursion_limit'];

/** The fields a 400 names in `details`, after checking the error shape. */
function badFields(res: Response): string[] {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  return (res.body.details as { field: string }[]).map((d) => d.field);
}

/** LibreChat's web front end, as a client of the agents routes. */
describe('agents for LibreChat (e2e)', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createUser(t.http, { name: 'LibreChat Admin' });
    expect(admin.role).toBe('ADMIN');
  });
  afterAll(() => t.close());

  const newUser = (): Promise<TestUser> => createUser(t.http);
  const create = (u: TestUser, body: Record<string, unknown>): Test =>
    t.http.post('/api/agents').set(u.auth).send(body);
  const patch = (u: TestUser, id: string, body: Record<string, unknown>): Test =>
    t.http.patch(`/api/agents/${id}`).set(u.auth).send(body);
  const get = (u: TestUser, id: string): Test => t.http.get(`/api/agents/${id}`).set(u.auth);

  describe("LibreChat's agent fields", () => {
    it('stores and returns every field the agent builder saves, on create and on GET', async () => {
      const u = await newUser();
      const fields = libreChatBuilderFields(await uploadFile(t.http, u));
      const created = (await create(u, agentInput(fields)).expect(201)).body as Record<string, unknown>;
      expect(pick(created, LIBRECHAT_FIELDS)).toEqual(fields);
      expect((await get(u, created.id as string).expect(200)).body).toEqual(created);
    });

    it('gives an agent created without them LibreChat’s defaults', async () => {
      const u = await newUser();
      const created = (await create(u, agentInput()).expect(201)).body as Record<string, unknown>;
      expect(created).toMatchObject({
        artifacts: '',
        recursion_limit: null,
        support_contact: null,
        edges: [],
        end_after_tools: false,
        hide_sequential_outputs: false,
        category: 'general',
        conversation_starters: [],
        is_promoted: false,
      });
    });

    it('changes them with PATCH as a new version; null clears recursion_limit and support_contact', async () => {
      const u = await newUser();
      const agent = await createAgent(t.http, u);
      const fields = libreChatBuilderFields(await uploadFile(t.http, u));
      const v2 = (await patch(u, agent.id, fields).expect(200)).body as Record<string, unknown>;
      expect(v2.version).toBe(2);
      expect(pick(v2, LIBRECHAT_FIELDS)).toEqual(fields);
      const v3 = (await patch(u, agent.id, { recursion_limit: null, support_contact: null }).expect(200)).body;
      expect(v3).toMatchObject({ version: 3, recursion_limit: null, support_contact: null, artifacts: 'shadcnui' });
      // Sending the same values again changes nothing and records no version.
      expect((await patch(u, agent.id, fields).expect(200)).body.version).toBe(4);
      expect((await patch(u, agent.id, fields).expect(200)).body.version).toBe(4);
    });

    it('keeps them in every version: the history shows them and a revert restores them', async () => {
      const u = await newUser();
      const fields = libreChatBuilderFields(await uploadFile(t.http, u));
      const v1 = (await create(u, agentInput(fields)).expect(201)).body as Record<string, unknown>;
      const id = v1.id as string;
      await patch(u, id, {
        artifacts: '',
        recursion_limit: 5,
        support_contact: { name: '', email: '' },
        edges: [],
        end_after_tools: false,
        hide_sequential_outputs: false,
        model_parameters: { maxContextTokens: 1000 },
        tool_resources: {},
      }).expect(200);
      const history = (await t.http.get(`/api/agents/${id}/versions`).set(u.auth).expect(200)).body.data as Record<
        string,
        unknown
      >[];
      expect(history.map((v) => v.version)).toEqual([2, 1]);
      expect(pick(history[1], LIBRECHAT_FIELDS)).toEqual(fields);
      expect(history[0]).toMatchObject({ artifacts: '', recursion_limit: 5, support_contact: { name: '', email: '' } });

      const reverted = (await t.http.post(`/api/agents/${id}/revert`).set(u.auth).send({ version: 1 }).expect(200))
        .body as Record<string, unknown>;
      expect(reverted.version).toBe(3);
      expect(pick(reverted, LIBRECHAT_FIELDS)).toEqual(fields);
    });

    it('carries them into a copy', async () => {
      const u = await newUser();
      const fields = libreChatBuilderFields(await uploadFile(t.http, u));
      const source = (await create(u, agentInput(fields)).expect(201)).body as Record<string, unknown>;
      const copy = (
        await t.http
          .post(`/api/agents/${source.id as string}/duplicate`)
          .set(u.auth)
          .expect(201)
      ).body as Record<string, unknown>;
      expect(pick(copy, LIBRECHAT_FIELDS)).toEqual(fields);
    });

    const rejected: [string, Record<string, unknown>, string][] = [
      ['an unknown artifacts mode', { artifacts: 'fancy' }, 'artifacts'],
      ['recursion_limit 0', { recursion_limit: 0 }, 'recursion_limit'],
      ['recursion_limit above the server maximum', { recursion_limit: 101 }, 'recursion_limit'],
      ['a fractional recursion_limit', { recursion_limit: 2.5 }, 'recursion_limit'],
      ['a support email that is not one', { support_contact: { email: 'not-an-email' } }, 'support_contact.email'],
      ['a support name of 257 characters', { support_contact: { name: 'n'.repeat(257) } }, 'support_contact.name'],
      ['an unknown support_contact field', { support_contact: { phone: '123' } }, 'support_contact.phone'],
      ['an edge from something that is not an agent id', { edges: [{ from: 'x', to: agentId() }] }, 'edges[0].from'],
      ['an edge to an empty list', { edges: [{ from: agentId(), to: [] }] }, 'edges[0].to'],
      ['an edge without its target', { edges: [{ from: agentId() }] }, 'edges[0].to'],
      [
        'an unknown edgeType',
        { edges: [{ from: agentId(), to: agentId(), edgeType: 'teleport' }] },
        'edges[0].edgeType',
      ],
      [
        'an edge with a function-like prompt',
        { edges: [{ from: agentId(), to: agentId(), prompt: 42 }] },
        'edges[0].prompt',
      ],
      ['21 edges', { edges: Array.from({ length: 21 }, () => ({ from: agentId(), to: agentId() })) }, 'edges'],
      ['end_after_tools that is not a boolean', { end_after_tools: 'yes' }, 'end_after_tools'],
      ['hide_sequential_outputs that is not a boolean', { hide_sequential_outputs: 1 }, 'hide_sequential_outputs'],
      ['is_promoted that is not a boolean', { is_promoted: 'true' }, 'is_promoted'],
      ['maxContextTokens 0', { model_parameters: { maxContextTokens: 0 } }, 'model_parameters.maxContextTokens'],
      [
        'resendFiles that is not a boolean',
        { model_parameters: { resendFiles: 'yes' } },
        'model_parameters.resendFiles',
      ],
      [
        'a non-UUID file id in tool_resources.context',
        { tool_resources: { context: { file_ids: ['../etc/passwd'] } } },
        'tool_resources.context.file_ids',
      ],
      ['a category of 65 characters', { category: 'c'.repeat(65) }, 'category'],
      ['5 conversation starters', { conversation_starters: ['1', '2', '3', '4', '5'] }, 'conversation_starters'],
    ];

    it.each(rejected)('rejects %s with 400 naming the field, on create and on update', async (_case, body, field) => {
      const u = await newUser();
      expect(badFields(await create(u, agentInput(body)))).toContain(field);
      const agent = await createAgent(t.http, u);
      expect(badFields(await patch(u, agent.id, body))).toContain(field);
      expect((await get(u, agent.id).expect(200)).body).toEqual(agent);
    });
  });

  describe('is_promoted', () => {
    it('can be set by an ADMIN only: a user gets 403 and nothing is stored', async () => {
      const u = await newUser();
      const res = await create(u, agentInput({ name: 'Self-promoter', is_promoted: true }));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'Forbidden', message: expect.stringContaining('is_promoted') });
      const mine = (await t.http.get('/api/agents').set(u.auth).expect(200)).body.data as unknown[];
      expect(mine).toEqual([]);

      const agent = await createAgent(t.http, u);
      expect((await patch(u, agent.id, { is_promoted: true })).status).toBe(403);
      expect((await get(u, agent.id).expect(200)).body).toEqual(agent);

      const promoted = (await patch(admin, agent.id, { is_promoted: true }).expect(200)).body;
      expect(promoted).toMatchObject({ is_promoted: true, version: 2 });
      const byAdmin = (await create(admin, agentInput({ is_promoted: true })).expect(201)).body;
      expect(byAdmin.is_promoted).toBe(true);
    });

    it('cannot be withdrawn by its editors, who may still save the agent with the value it has', async () => {
      const owner = await newUser();
      const agent = await createAgent(t.http, owner);
      await patch(admin, agent.id, { is_promoted: true }).expect(200);
      expect((await patch(owner, agent.id, { is_promoted: false })).status).toBe(403);
      const saved = (await patch(owner, agent.id, { is_promoted: true, name: 'Renamed' }).expect(200)).body;
      expect(saved).toMatchObject({ is_promoted: true, name: 'Renamed', version: 3 });
    });

    it('survives an editor’s revert to a version before the promotion; an ADMIN’s revert restores it', async () => {
      const owner = await newUser();
      const agent = await createAgent(t.http, owner);
      await patch(admin, agent.id, { is_promoted: true }).expect(200);
      const byOwner = await t.http.post(`/api/agents/${agent.id}/revert`).set(owner.auth).send({ version: 1 });
      // Version 1 differs from version 2 only in the promotion, which the owner may not change.
      expect(byOwner.status).toBe(200);
      expect(byOwner.body).toMatchObject({ is_promoted: true, version: 2 });
      const byAdmin = await t.http.post(`/api/agents/${agent.id}/revert`).set(admin.auth).send({ version: 1 });
      expect(byAdmin.body).toMatchObject({ is_promoted: false, version: 3 });
    });

    it('is not carried into a copy', async () => {
      const owner = await newUser();
      const agent = await createAgent(t.http, owner);
      await patch(admin, agent.id, { is_promoted: true }).expect(200);
      const copy = (await t.http.post(`/api/agents/${agent.id}/duplicate`).set(owner.auth).expect(201)).body;
      expect(copy.is_promoted).toBe(false);
    });
  });

  describe('GET /api/agents/categories', () => {
    const categories = async (u: TestUser): Promise<{ value: string; label: string; count: number }[]> =>
      (await t.http.get('/api/agents/categories').set(u.auth).expect(200)).body as {
        value: string;
        label: string;
        count: number;
      }[];

    it('answers general alone, with count 0, to a user who sees no agent', async () => {
      expect(await categories(await newUser())).toEqual([{ value: 'general', label: 'General', count: 0 }]);
    });

    it('counts the agents the caller can see in each category, sorted by value', async () => {
      const owner = await newUser();
      const viewer = await newUser();
      const tag = randomUUID().slice(0, 8);
      await createAgent(t.http, owner, { category: `hr_${tag}` });
      await createAgent(t.http, owner, { category: `hr_${tag}` });
      const shared = await createAgent(t.http, owner, { category: `customer-support_${tag}` });
      await createAgent(t.http, owner);
      await share(t.http, owner, shared.id, {
        updated: [{ type: 'user', id: viewer.id, accessRoleId: 'agent_viewer' }],
      });

      expect(await categories(owner)).toEqual([
        { value: `customer-support_${tag}`, label: `Customer support ${tag}`, count: 1 },
        { value: 'general', label: 'General', count: 1 },
        { value: `hr_${tag}`, label: `Hr ${tag}`, count: 2 },
      ]);
      expect(await categories(viewer)).toEqual([
        { value: `customer-support_${tag}`, label: `Customer support ${tag}`, count: 1 },
        { value: 'general', label: 'General', count: 0 },
      ]);
      // An ADMIN sees every agent.
      const all = await categories(admin);
      expect(all).toEqual(expect.arrayContaining([{ value: `hr_${tag}`, label: `Hr ${tag}`, count: 2 }]));
    });

    it('answers 401 without a token', async () => {
      await t.http.get('/api/agents/categories').expect(401);
    });
  });

  describe('GET /api/agents?promoted=', () => {
    it('filters promoted agents in and out, among those the caller can see', async () => {
      const owner = await newUser();
      const tag = `promo-${randomUUID().slice(0, 8)}`;
      const [top, plain, hidden] = [
        await createAgent(t.http, owner, { name: `${tag} top` }),
        await createAgent(t.http, owner, { name: `${tag} plain` }),
        await createAgent(t.http, admin, { name: `${tag} hidden` }),
      ];
      await patch(admin, top.id, { is_promoted: true }).expect(200);
      await patch(admin, hidden.id, { is_promoted: true }).expect(200);
      const ids = async (u: TestUser, promoted?: string): Promise<string[]> => {
        const query = { search: tag, ...(promoted === undefined ? {} : { promoted }) };
        const res = await t.http.get('/api/agents').query(query).set(u.auth).expect(200);
        return (res.body.data as { id: string }[]).map((a) => a.id);
      };
      expect(await ids(owner, '1')).toEqual([top.id]);
      expect(await ids(owner, 'true')).toEqual([top.id]);
      expect(await ids(owner, '0')).toEqual([plain.id]);
      expect(await ids(owner, 'false')).toEqual([plain.id]);
      expect(await ids(owner)).toEqual([top.id, plain.id]);
      expect((await ids(admin, '1')).sort()).toEqual([top.id, hidden.id].sort());
      // Without a search, too (the unfiltered page takes another path through the grants).
      const page = await t.http.get('/api/agents').query({ promoted: 1, limit: 100 }).set(owner.auth).expect(200);
      expect((page.body.data as { id: string }[]).map((a) => a.id)).toEqual([top.id]);
    });

    it.each(['yes', '2', ''])('answers 400 naming promoted to promoted=%p', async (value) => {
      const res = await t.http.get('/api/agents').query({ promoted: value }).set(admin.auth);
      expect(badFields(res)).toEqual(['promoted']);
    });
  });

  describe('GET /api/agents/:id/expanded', () => {
    it('answers the full configuration, with its ETag, to a caller with EDIT', async () => {
      const owner = await newUser();
      const editor = await newUser();
      const agent = await createAgent(t.http, owner, libreChatBuilderFields(await uploadFile(t.http, owner)));
      await share(t.http, owner, agent.id, {
        updated: [{ type: 'user', id: editor.id, accessRoleId: 'agent_editor' }],
      });
      const res = await t.http.get(`/api/agents/${agent.id}/expanded`).set(owner.auth).expect(200);
      expect(res.body).toEqual(agent);
      expect(res.headers.etag).toBe('"1"');
      expect((await t.http.get(`/api/agents/${agent.id}/expanded`).set(editor.auth).expect(200)).body).toEqual(agent);
      expect((await t.http.get(`/api/agents/${agent.id}/expanded`).set(admin.auth).expect(200)).body).toEqual(agent);
    });

    it('answers 403 to a viewer or user without EDIT and 404 to a stranger or an unknown id', async () => {
      const owner = await newUser();
      const [viewer, user, stranger] = [await newUser(), await newUser(), await newUser()];
      const agent = await createAgent(t.http, owner);
      await share(t.http, owner, agent.id, {
        updated: [
          { type: 'user', id: viewer.id, accessRoleId: 'agent_viewer' },
          { type: 'user', id: user.id, accessRoleId: 'agent_user' },
        ],
      });
      const expanded = (u: TestUser, id = agent.id) => t.http.get(`/api/agents/${id}/expanded`).set(u.auth);
      expect((await expanded(viewer)).status).toBe(403);
      expect((await expanded(user)).status).toBe(403);
      expect((await expanded(stranger)).status).toBe(404);
      expect((await expanded(owner, agentId())).status).toBe(404);
      expect((await expanded(owner, 'categories')).status).toBe(404);
    });
  });

  describe('what a caller without EDIT sees: the catalogue card', () => {
    /** An agent with a secret configuration, shared with a viewer, a user (USE) and an editor. */
    async function sharedAgent(): Promise<{
      agent: Record<string, unknown> & { id: string };
      owner: TestUser;
      viewer: TestUser;
      user: TestUser;
      editor: TestUser;
    }> {
      const [owner, viewer, user, editor] = [await newUser(), await newUser(), await newUser(), await newUser()];
      const agent = await createAgent(t.http, owner, {
        ...libreChatBuilderFields(await uploadFile(t.http, owner)),
        name: `card-${randomUUID()}`,
        instructions: 'The secret sauce is paprika.',
        tools: ['calculator'],
        tool_resources: { file_search: { file_ids: [await uploadFile(t.http, owner)] } },
      });
      await share(t.http, owner, agent.id, {
        updated: [
          { type: 'user', id: viewer.id, accessRoleId: 'agent_viewer' },
          { type: 'user', id: user.id, accessRoleId: 'agent_user' },
          { type: 'user', id: editor.id, accessRoleId: 'agent_editor' },
        ],
      });
      return { agent, owner, viewer, user, editor };
    }
    const cardOf = (agent: Record<string, unknown>): Record<string, unknown> => pick(agent, CARD_FIELDS);

    it('GET /api/agents/:id answers a viewer and a USE-only user the card, an editor and the owner the full agent', async () => {
      const { agent, owner, viewer, user, editor } = await sharedAgent();
      for (const u of [viewer, user]) {
        const res = await get(u, agent.id).expect(200);
        expect(Object.keys(res.body).sort()).toEqual(CARD_FIELDS);
        expect(res.body).toEqual(cardOf(agent));
        expect(JSON.stringify(res.body)).not.toContain('paprika');
        expect(res.headers.etag).toBe('"1"');
      }
      for (const u of [owner, editor, admin]) expect((await get(u, agent.id).expect(200)).body).toEqual(agent);
    });

    it('lists decide per row: the card where the caller lacks EDIT, the full agent where they hold it', async () => {
      const { agent, viewer, user } = await sharedAgent();
      const own = await createAgent(t.http, viewer, { instructions: 'Mine to read.' });
      const byId = (data: Record<string, unknown>[]) => new Map(data.map((a) => [a.id, a]));
      // The plain page (taken from the grants index) and a filtered one (EXISTS probes) alike.
      for (const query of [{ limit: 100 }, { limit: 100, search: 'e' }, { limit: 100, requiredPermission: 1 }]) {
        const rows = byId((await t.http.get('/api/agents').query(query).set(viewer.auth).expect(200)).body.data);
        expect(rows.get(agent.id)).toEqual(cardOf(agent));
        expect(rows.get(own.id)).toEqual(own);
      }
      const used = byId(
        (await t.http.get('/api/agents').query({ requiredPermission: 16 }).set(user.auth).expect(200)).body.data,
      );
      expect(used.get(agent.id)).toEqual(cardOf(agent));
    });

    it('lists show the full agent to an editor and to an ADMIN', async () => {
      const { agent, editor } = await sharedAgent();
      for (const u of [editor, admin]) {
        const res = await t.http
          .get('/api/agents')
          .query({ search: agent.name as string })
          .set(u.auth)
          .expect(200);
        expect(res.body.data).toEqual([agent]);
      }
    });

    it('keeps the configuration, and the versions holding it, from callers without EDIT', async () => {
      const { agent, viewer, user } = await sharedAgent();
      for (const u of [viewer, user]) {
        const res = await get(u, agent.id).expect(200);
        for (const field of CONFIGURATION) expect(res.body).not.toHaveProperty(field);
        expect((await t.http.get(`/api/agents/${agent.id}/versions`).set(u.auth)).status).toBe(403);
        expect((await t.http.get(`/api/agents/${agent.id}/expanded`).set(u.auth)).status).toBe(403);
      }
    });

    it('shows the author’s id on the card to the author alone', async () => {
      const { agent, owner, editor, viewer } = await sharedAgent();
      // The author hands the agent over and keeps only VIEW.
      await share(t.http, owner, agent.id, {
        updated: [
          { type: 'user', id: editor.id, accessRoleId: 'agent_owner' },
          { type: 'user', id: owner.id, accessRoleId: 'agent_viewer' },
        ],
      });
      expect((await get(owner, agent.id).expect(200)).body).toEqual({ ...cardOf(agent), author: owner.id });
      expect((await get(viewer, agent.id).expect(200)).body).not.toHaveProperty('author');
    });
  });
});
