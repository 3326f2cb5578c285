import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';

/**
 * The zero-configuration mode as a user runs it: the built api process with no DATABASE_URL,
 * storing PGlite under DATA_DIR. Start, write, stop, start again: the data is still there.
 */
describe('embedded mode (PGlite), as a real process', () => {
  let dataDir: string;
  let api: RunningApi | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'agents-embedded-'));
  });
  afterEach(async () => {
    await api?.stop('SIGKILL');
    api = undefined;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function start(): Promise<RunningApi> {
    const port = await freePort();
    const running = spawnApi({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', HOST: '127.0.0.1' });
    await waitFor(`${running.baseUrl}/api/health/ready`).catch((err: Error) => {
      throw new Error(`${err.message}\n--- api output ---\n${running.output()}`);
    });
    return running;
  }

  async function call(path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
    const res = await fetch(`${api!.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  it('keeps users, agents and versions across a restart', async () => {
    api = await start();
    const credentials = { email: 'ada@example.com', password: 'correct horse battery' };
    expect((await call('/api/auth/register', { method: 'POST', body: { ...credentials, name: 'Ada' } })).status).toBe(
      201,
    );
    const { body: login } = await call('/api/auth/login', { method: 'POST', body: credentials });
    const token = login.token as string;
    const created = await call('/api/agents', {
      method: 'POST',
      token,
      body: { name: 'Persistent', provider: 'openai', model: 'gpt-4o' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call(`/api/agents/${id}`, { method: 'PATCH', token, body: { name: 'Persistent v2' } })).status).toBe(
      200,
    );

    // Sharing runs several queries in one transaction: on the single embedded connection they must
    // all use that transaction, or the request would wait for a connection that never frees.
    const bob = { email: 'bob@example.com', password: 'correct horse battery' };
    await call('/api/auth/register', { method: 'POST', body: { ...bob, name: 'Bob' } });
    const bobToken = (await call('/api/auth/login', { method: 'POST', body: bob })).body.token as string;
    const bobId = (await call('/api/user', { token: bobToken })).body.id as string;
    const group = await call('/api/groups', { method: 'POST', token, body: { name: 'Team' } });
    await call(`/api/groups/${group.body.id}/members`, { method: 'POST', token, body: { userId: bobId } });
    const shared = await call(`/api/permissions/agent/${id}`, {
      method: 'PUT',
      token,
      body: { updated: [{ type: 'group', id: group.body.id, accessRoleId: 'agent_user' }] },
    });
    expect(shared.status).toBe(200);
    expect((await call(`/api/agents/${id}`, { token: bobToken })).status).toBe(200);

    await api.stop('SIGTERM'); // graceful: Nest closes the pool and PGlite, then exits by the signal
    expect(api.output()).not.toMatch(/ERROR|Error:/);
    api = await start();

    // The generated JWT secret is kept in DATA_DIR, so the old token is still valid.
    const again = await call(`/api/agents/${id}`, { token });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id, name: 'Persistent v2', version: 2 });
    const versions = await call(`/api/agents/${id}/versions`, { token });
    expect((versions.body.data as { version: number }[]).map((v) => v.version)).toEqual([2, 1]);
    expect((await call('/api/auth/login', { method: 'POST', body: credentials })).status).toBe(200);
    // The list runs as a named prepared statement; the embedded server must serve those too.
    for (let i = 0; i < 3; i++) {
      const list = await call('/api/agents?limit=5', { token: bobToken });
      expect((list.body.data as { id: string }[]).map((a) => a.id)).toEqual([id]);
    }
    const forBob = await call(`/api/permissions/agent/${id}/effective`, { token: bobToken });
    expect(forBob.body).toEqual({ permissionBits: 17, permissions: ['VIEW', 'USE'] });
  });

  it('refuses a second process on the same DATA_DIR with a message naming it', async () => {
    api = await start();
    const second = spawnApi({ DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'warn' });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`DATA_DIR ${dataDir} is in use`);
    expect(second.output()).not.toMatch(/\n\s+at /); // no stack trace
    expect((await fetch(`${api.baseUrl}/api/health/ready`)).status).toBe(200);
  });

  it('serves Swagger UI and an OpenAPI document with bounds, examples and bearer auth', async () => {
    api = await start();
    const html = await fetch(`${api.baseUrl}/api/docs`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('swagger-ui');

    const doc = (await (await fetch(`${api.baseUrl}/api/docs-json`)).json()) as Record<string, any>;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const path of [
      '/api/auth/register',
      '/api/auth/login',
      '/api/user',
      '/api/agents',
      '/api/agents/tools',
      '/api/agents/{id}',
      '/api/agents/{id}/duplicate',
      '/api/agents/{id}/versions',
      '/api/agents/{id}/revert',
      '/api/health',
      '/api/health/ready',
      '/api/groups',
      '/api/groups/{id}',
      '/api/groups/{id}/members',
      '/api/groups/{id}/members/{userId}',
      '/api/permissions/agent/roles',
      '/api/permissions/agent/{id}',
      '/api/permissions/agent/{id}/effective',
      '/api/permissions/search-principals',
      '/api/convos',
      '/api/convos/{id}',
      '/api/messages/{conversationId}',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const create = doc.components.schemas.CreateAgentDto;
    expect(create.required).toEqual(expect.arrayContaining(['provider', 'model']));
    expect(create.properties.name).toMatchObject({ maxLength: 256, minLength: 1, example: 'HR Helper' });
    expect(create.properties.temperature).toMatchObject({ minimum: 0, maximum: 2 });
    expect(create.properties.top_p).toMatchObject({ minimum: 0, maximum: 1 });
    expect(doc.components.schemas.ModelParametersDto.properties.temperature).toMatchObject({ minimum: 0, maximum: 2 });
    expect(doc.paths['/api/agents/{id}'].patch.responses).toHaveProperty('412');
    expect(doc.paths['/api/agents'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/permissions/agent/{id}'].put.responses).toHaveProperty('409');
    expect(doc.components.schemas.PrincipalGrantDto.properties.accessRoleId.enum).toEqual([
      'agent_viewer',
      'agent_user',
      'agent_editor',
      'agent_owner',
    ]);
  });
});
