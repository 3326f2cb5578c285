import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { createAgent, createUser, type TestUser } from './support/factories';
import { createGroup, share, type SharingChange } from './support/sharing';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * THE permission matrix of docs/http-api.md § Permissions: every agent route × every kind of caller
 * → the exact status.
 *
 * The callers, and what they hold on the agent they call:
 *   owner      created the agent (agent_owner, all five bits)
 *   editor     a user grant of agent_editor (VIEW|USE|EDIT)
 *   user       a user grant of agent_user (VIEW|USE)
 *   viewer     a user grant of agent_viewer (VIEW)
 *   member     no grant of their own; member of a group granted agent_editor (VIEW|USE|EDIT)
 *   public     no grant of their own, on an agent shared publicly as agent_viewer (VIEW)
 *   stranger   no grant at all (the agent is not public)
 *   admin      role ADMIN: the first user registered in this fresh database; no grant
 *   anonymous  no token
 *
 * Every cell runs on a fresh agent (at version 2, so revert has something to do) with its grants
 * set up by `agentFor(caller)`, so no cell depends on another.
 */
type Caller = 'owner' | 'editor' | 'user' | 'viewer' | 'member' | 'public' | 'stranger' | 'admin' | 'anonymous';
const CALLERS: Caller[] = ['owner', 'editor', 'user', 'viewer', 'member', 'public', 'stranger', 'admin', 'anonymous'];

type Route =
  | 'GET /api/agents/:id'
  | 'PATCH /api/agents/:id'
  | 'DELETE /api/agents/:id'
  | 'POST /api/agents/:id/duplicate'
  | 'GET /api/agents/:id/versions'
  | 'POST /api/agents/:id/revert'
  | 'GET /api/permissions/agent/:id'
  | 'PUT /api/permissions/agent/:id'
  | 'GET /api/permissions/agent/:id/effective';

// No VIEW → 404 (existence never revealed); VIEW without the needed bit → 403; no token → 401.
// prettier-ignore
const MATRIX: Record<Route, [number, number, number, number, number, number, number, number, number]> = {
  //                                           owner editor user viewer member public stranger admin anonymous
  'GET /api/agents/:id':                      [200,  200,   200, 200,   200,   200,   404,     200,  401], // needs VIEW
  'PATCH /api/agents/:id':                    [200,  200,   403, 403,   200,   403,   404,     200,  401], // needs EDIT
  'DELETE /api/agents/:id':                   [200,  403,   403, 403,   403,   403,   404,     200,  401], // needs DELETE
  'POST /api/agents/:id/duplicate':           [201,  201,   201, 201,   201,   201,   404,     201,  401], // needs VIEW
  'GET /api/agents/:id/versions':             [200,  200,   403, 403,   200,   403,   404,     200,  401], // needs EDIT
  'POST /api/agents/:id/revert':              [200,  200,   403, 403,   200,   403,   404,     200,  401], // needs EDIT
  'GET /api/permissions/agent/:id':           [200,  403,   403, 403,   403,   403,   404,     200,  401], // needs SHARE
  'PUT /api/permissions/agent/:id':           [200,  403,   403, 403,   403,   403,   404,     200,  401], // needs SHARE
  'GET /api/permissions/agent/:id/effective': [200,  200,   200, 200,   200,   200,   404,     200,  401], // needs VIEW
};

/** What GET …/effective answers each caller who can see the agent. */
// prettier-ignore
const EFFECTIVE: Record<Exclude<Caller, 'stranger' | 'anonymous'>, { permissionBits: number; permissions: string[] }> = {
  owner:  { permissionBits: 31, permissions: ['VIEW', 'EDIT', 'DELETE', 'SHARE', 'USE'] },
  editor: { permissionBits: 19, permissions: ['VIEW', 'EDIT', 'USE'] },
  user:   { permissionBits: 17, permissions: ['VIEW', 'USE'] },
  viewer: { permissionBits: 1,  permissions: ['VIEW'] },
  member: { permissionBits: 19, permissions: ['VIEW', 'EDIT', 'USE'] },
  public: { permissionBits: 1,  permissions: ['VIEW'] },
  admin:  { permissionBits: 31, permissions: ['VIEW', 'EDIT', 'DELETE', 'SHARE', 'USE'] },
};

/**
 * GET /api/agents: which of three agents each caller lists, with no filter (VIEW), with
 * requiredPermission=16 (USE) and with requiredPermission=2 (EDIT). `shared` carries the editor,
 * user, viewer and group grants; `public` is shared publicly as agent_viewer; `private` has only
 * its owner. The owner created all three.
 */
type Listed = 'shared' | 'public' | 'private';
// prettier-ignore
const LIST: Record<Exclude<Caller, 'anonymous'>, { VIEW: Listed[]; USE: Listed[]; EDIT: Listed[] }> = {
  owner:    { VIEW: ['private', 'public', 'shared'], USE: ['private', 'public', 'shared'], EDIT: ['private', 'public', 'shared'] },
  editor:   { VIEW: ['public', 'shared'],            USE: ['shared'],                      EDIT: ['shared'] },
  user:     { VIEW: ['public', 'shared'],            USE: ['shared'],                      EDIT: [] },
  viewer:   { VIEW: ['public', 'shared'],            USE: [],                              EDIT: [] },
  member:   { VIEW: ['public', 'shared'],            USE: ['shared'],                      EDIT: ['shared'] },
  public:   { VIEW: ['public'],                      USE: [],                              EDIT: [] },
  stranger: { VIEW: ['public'],                      USE: [],                              EDIT: [] },
  admin:    { VIEW: ['private', 'public', 'shared'], USE: ['private', 'public', 'shared'], EDIT: ['private', 'public', 'shared'] },
};

/** The catalogue card of an agent: what callers without EDIT see of it (its author is not among them). */
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
];
const cardOf = (agent: Agent): Record<string, unknown> => Object.fromEntries(CARD_FIELDS.map((f) => [f, agent[f]]));

const ERROR_TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

interface Agent {
  id: string;
  name: string;
  description: string | null;
  version: number;
  author: string;
  isPublic: boolean;
  [field: string]: unknown;
}

interface Principal {
  type: 'user' | 'group';
  id: string;
  accessRoleId: string;
  permBits: number;
}

/** What the ADMIN sees of an agent: used to prove a refused call changed nothing. */
interface Observed {
  agent: Agent | number;
  versions: number[];
  sharing: unknown;
  sameName: string[];
}

describe('permission matrix (e2e)', () => {
  let t: TestApp;
  const users = {} as Record<Exclude<Caller, 'anonymous'>, TestUser>;
  let groupId: string;

  beforeAll(async () => {
    t = await startTestApp();
    // The first user registered in a fresh database becomes ADMIN.
    users.admin = await createUser(t.http, { name: 'Matrix Admin' });
    for (const c of ['owner', 'editor', 'user', 'viewer', 'member', 'public', 'stranger'] as const) {
      users[c] = await createUser(t.http, { name: `Matrix ${c}` });
    }
    groupId = (await createGroup(t.http, users.admin, [users.member])).id;
  });
  afterAll(() => t.close());

  it('starts from an ADMIN registered first and plain USERs', () => {
    expect(users.admin.role).toBe('ADMIN');
    expect(users.owner.role).toBe('USER');
    expect(users.stranger.role).toBe('USER');
  });

  const call = (caller: Caller, method: 'get' | 'post' | 'patch' | 'put' | 'delete', url: string): Test => {
    const req = t.http[method](url);
    return caller === 'anonymous' ? req : req.set(users[caller].auth);
  };

  /** The grants every non-public cell's agent carries. */
  const sharedGrants = (): SharingChange => ({
    updated: [
      { type: 'user', id: users.editor.id, accessRoleId: 'agent_editor' },
      { type: 'user', id: users.user.id, accessRoleId: 'agent_user' },
      { type: 'user', id: users.viewer.id, accessRoleId: 'agent_viewer' },
      { type: 'group', id: groupId, accessRoleId: 'agent_editor' },
    ],
  });

  /**
   * A fresh agent owned by `owner` at version 2 (description "v1" then "v2"), with the grants the
   * caller's row of the matrix needs: the public caller gets an agent shared only publicly, every
   * other caller one shared with the editor, user, viewer and group.
   */
  async function agentFor(caller: Caller): Promise<Agent> {
    const name = `mx-${randomUUID().slice(0, 8)}`;
    const created = await createAgent(t.http, users.owner, { name, description: 'v1' });
    await t.http.patch(`/api/agents/${created.id}`).set(users.owner.auth).send({ description: 'v2' }).expect(200);
    await share(t.http, users.owner, created.id, caller === 'public' ? { public: true } : sharedGrants());
    return (await t.http.get(`/api/agents/${created.id}`).set(users.admin.auth).expect(200)).body as Agent;
  }

  async function observe(agent: Agent): Promise<Observed> {
    const admin = users.admin.auth;
    const got = await t.http.get(`/api/agents/${agent.id}`).set(admin);
    const versions = await t.http.get(`/api/agents/${agent.id}/versions`).set(admin);
    const sharing = await t.http.get(`/api/permissions/agent/${agent.id}`).set(admin);
    const sameName = await t.http.get('/api/agents').query({ search: agent.name, limit: 100 }).set(admin).expect(200);
    return {
      agent: got.status === 200 ? (got.body as Agent) : got.status,
      versions: versions.status === 200 ? (versions.body.data as { version: number }[]).map((v) => v.version) : [],
      sharing: sharing.status === 200 ? sharing.body : sharing.status,
      sameName: (sameName.body.data as Agent[]).map((a) => a.id).sort(),
    };
  }

  const effectiveOf = async (u: TestUser, agentId: string): Promise<Response> =>
    t.http.get(`/api/permissions/agent/${agentId}/effective`).set(u.auth);

  interface RouteCase {
    send: (caller: Caller, agent: Agent) => Test;
    /** Checks the effect of an allowed call. */
    allowed: (res: Response, caller: Exclude<Caller, 'anonymous'>, agent: Agent) => Promise<void> | void;
  }

  const ROUTES: Record<Route, RouteCase> = {
    'GET /api/agents/:id': {
      send: (c, a) => call(c, 'get', `/api/agents/${a.id}`),
      allowed: (res, caller, agent) => {
        // Callers with EDIT get the agent in full; the others its catalogue card (docs/http-api.md § Agents).
        expect(res.body).toEqual(
          (EFFECTIVE[caller as keyof typeof EFFECTIVE].permissionBits & 2) !== 0 ? agent : cardOf(agent),
        );
        expect(res.body.isPublic).toBe(caller === 'public');
      },
    },
    'PATCH /api/agents/:id': {
      send: (c, a) => call(c, 'patch', `/api/agents/${a.id}`).send({ name: `${a.name} patched` }),
      allowed: async (res, caller, agent) => {
        expect(res.body).toMatchObject({ id: agent.id, name: `${agent.name} patched`, version: 3 });
        const history = await t.http.get(`/api/agents/${agent.id}/versions`).set(users.admin.auth).expect(200);
        expect(history.body.data[0]).toMatchObject({ version: 3, updatedBy: users[caller].id });
      },
    },
    'DELETE /api/agents/:id': {
      send: (c, a) => call(c, 'delete', `/api/agents/${a.id}`),
      allowed: async (res, _caller, agent) => {
        expect(res.body).toEqual({ message: 'Agent deleted' });
        await t.http.get(`/api/agents/${agent.id}`).set(users.admin.auth).expect(404);
        // Its grants went with it: the editor's grant no longer lets them see anything.
        expect((await effectiveOf(users.editor, agent.id)).status).toBe(404);
      },
    },
    'POST /api/agents/:id/duplicate': {
      send: (c, a) => call(c, 'post', `/api/agents/${a.id}/duplicate`),
      allowed: async (res, caller, agent) => {
        const copy = res.body as Agent;
        expect(copy.id).not.toBe(agent.id);
        expect(copy).toMatchObject({ name: `${agent.name} (copy)`, author: users[caller].id, version: 1 });
        expect(copy.isPublic).toBe(false);
        expect((await effectiveOf(users[caller], copy.id)).body).toEqual(EFFECTIVE.owner);
        // The copy belongs to the caller alone: the source's grants do not carry over.
        if (caller !== 'owner') expect((await effectiveOf(users.owner, copy.id)).status).toBe(404);
        if (caller !== 'viewer') expect((await effectiveOf(users.viewer, copy.id)).status).toBe(404);
      },
    },
    'GET /api/agents/:id/versions': {
      send: (c, a) => call(c, 'get', `/api/agents/${a.id}/versions`),
      allowed: (res) => {
        const data = res.body.data as { version: number; description: string }[];
        expect(data.map((v) => [v.version, v.description])).toEqual([
          [2, 'v2'],
          [1, 'v1'],
        ]);
      },
    },
    'POST /api/agents/:id/revert': {
      send: (c, a) => call(c, 'post', `/api/agents/${a.id}/revert`).send({ version: 1 }),
      allowed: async (res, caller, agent) => {
        expect(res.body).toMatchObject({ id: agent.id, description: 'v1', version: 3 });
        const history = await t.http.get(`/api/agents/${agent.id}/versions`).set(users.admin.auth).expect(200);
        expect(history.body.data[0]).toMatchObject({ version: 3, description: 'v1', updatedBy: users[caller].id });
      },
    },
    'GET /api/permissions/agent/:id': {
      send: (c, a) => call(c, 'get', `/api/permissions/agent/${a.id}`),
      allowed: (res, _caller, agent) => {
        const principals = (res.body.principals as Principal[]).map((p) => [p.type, p.id, p.accessRoleId]);
        expect(res.body).toMatchObject({ resourceType: 'agent', resourceId: agent.id, public: false });
        expect(principals).toEqual(
          expect.arrayContaining([
            ['user', users.owner.id, 'agent_owner'],
            ['user', users.editor.id, 'agent_editor'],
            ['group', groupId, 'agent_editor'],
          ]),
        );
        expect(principals).toHaveLength(5);
      },
    },
    'PUT /api/permissions/agent/:id': {
      send: (c, a) =>
        call(c, 'put', `/api/permissions/agent/${a.id}`).send({
          updated: [{ type: 'user', id: users.stranger.id, accessRoleId: 'agent_viewer' }],
        }),
      allowed: async (res, _caller, agent) => {
        expect(res.body.principals).toContainEqual(
          expect.objectContaining({ type: 'user', id: users.stranger.id, accessRoleId: 'agent_viewer', permBits: 1 }),
        );
        await t.http.get(`/api/agents/${agent.id}`).set(users.stranger.auth).expect(200);
      },
    },
    'GET /api/permissions/agent/:id/effective': {
      send: (c, a) => call(c, 'get', `/api/permissions/agent/${a.id}/effective`),
      allowed: (res, caller) => {
        expect(res.body).toEqual(EFFECTIVE[caller as keyof typeof EFFECTIVE]);
      },
    },
  };

  const cells = (Object.keys(MATRIX) as Route[]).flatMap((route) =>
    CALLERS.map((caller, i) => [route, caller, MATRIX[route][i]] as const),
  );

  it.each(cells)('%s as %s → %i', async (route, caller, status) => {
    const agent = await agentFor(caller);
    const before = await observe(agent);
    const res = await ROUTES[route].send(caller, agent);
    expect(res.status).toBe(status);
    if (status < 300) {
      if (caller === 'anonymous') throw new Error('an anonymous call cannot be allowed');
      await ROUTES[route].allowed(res, caller, agent);
    } else {
      expect(res.body).toEqual({ error: ERROR_TITLES[status], message: expect.any(String) });
      // A refused call changes nothing: agent, history, grants, and no copy was made.
      expect(await observe(agent)).toEqual(before);
    }
  });

  it('answers a 404 that reveals nothing: the same as for an agent that never existed', async () => {
    const agent = await agentFor('stranger');
    const hidden = await t.http.get(`/api/agents/${agent.id}`).set(users.stranger.auth).expect(404);
    const ghostId = `agent_${randomUUID().replace(/-/g, '').slice(0, 21)}`;
    const ghost = await t.http.get(`/api/agents/${ghostId}`).set(users.stranger.auth).expect(404);
    const messageOf = (res: Response, id: string): string =>
      (res.body as { message: string }).message.replace(id, '<id>');
    expect(messageOf(hidden, agent.id)).toBe(messageOf(ghost, ghostId));
  });

  describe('an agent that does not exist', () => {
    const ghostId = `agent_${'Z'.repeat(21)}`;
    const ghost = { id: ghostId, name: 'ghost' } as Agent;
    const cases = (Object.keys(ROUTES) as Route[]).flatMap((route) =>
      (['owner', 'admin'] as const).map((caller) => [route, caller] as const),
    );

    it.each(cases)('%s as %s → 404', async (route, caller) => {
      const res = await ROUTES[route].send(caller, ghost);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Not Found', message: expect.any(String) });
    });
  });

  describe('GET /api/agents', () => {
    const token = `mxlist${randomUUID().slice(0, 8)}`;
    const ids = {} as Record<Listed, string>;

    beforeAll(async () => {
      for (const label of ['private', 'public', 'shared'] as const) {
        ids[label] = (await createAgent(t.http, users.owner, { name: `${token} ${label}` })).id;
      }
      await share(t.http, users.owner, ids.shared, sharedGrants());
      await share(t.http, users.owner, ids.public, { public: true });
    });

    const listed = async (caller: Exclude<Caller, 'anonymous'>, required?: number): Promise<Agent[]> => {
      const query = { search: token, limit: 100, ...(required === undefined ? {} : { requiredPermission: required }) };
      return (await t.http.get('/api/agents').query(query).set(users[caller].auth).expect(200)).body.data as Agent[];
    };
    const labelOf = (id: string): string =>
      (Object.entries(ids) as [Listed, string][]).find(([, v]) => v === id)?.[0] ?? `unexpected ${id}`;

    const listCells = (Object.keys(LIST) as (keyof typeof LIST)[]).flatMap((caller) =>
      (['VIEW', 'USE', 'EDIT'] as const).map((bit) => [caller, bit, LIST[caller][bit]] as const),
    );
    const BIT = { VIEW: undefined, USE: 16, EDIT: 2 } as const;

    it.each(listCells)('as %s, requiring %s, lists exactly %j', async (caller, bit, expected) => {
      const agents = await listed(caller, BIT[bit]);
      expect(agents.map((a) => labelOf(a.id)).sort()).toEqual(expected);
      for (const a of agents) expect(a.isPublic).toBe(a.id === ids.public);
    });

    it('lists the same for requiredPermission=1 as for no filter', async () => {
      for (const caller of ['editor', 'viewer', 'stranger'] as const) {
        expect((await listed(caller, 1)).map((a) => a.id)).toEqual((await listed(caller)).map((a) => a.id));
      }
    });

    it('answers 401 without a token', async () => {
      const res = await t.http.get('/api/agents').query({ search: token });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'Unauthorized', message: expect.any(String) });
    });
  });
});
