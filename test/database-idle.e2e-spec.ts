import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { startTestApp, type TestApp } from './support/test-app';
import { withAdmin } from './support/test-database';

/** Longer than the idle timeout the apps below run with, so the pool closes its connections in between. */
const IDLE_TIMEOUT_MS = 1_000;
const IDLE_MS = 3_500;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Caller {
  (
    path: string,
    init?: { method?: string; token?: string; body?: unknown },
  ): Promise<{
    status: number;
    body: Record<string, any>;
  }>;
}

function callerFor(baseUrl: string): Caller {
  return async (path, init = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
}

/** An admin (the first user) who owns a shared agent, and a plain user who can use it; returns the user's token. */
async function seed(call: Caller): Promise<{ userToken: string; agentId: string }> {
  const login = async (email: string): Promise<string> => {
    const credentials = { email, password: 'correct horse battery' };
    expect((await call('/api/auth/register', { method: 'POST', body: { ...credentials, name: email } })).status).toBe(
      201,
    );
    return (await call('/api/auth/login', { method: 'POST', body: credentials })).body.token as string;
  };
  const adminToken = await login('admin@example.com');
  const userToken = await login('user@example.com');
  const created = await call('/api/agents', {
    method: 'POST',
    token: adminToken,
    body: { name: 'Shared', provider: 'openai', model: 'gpt-4o' },
  });
  expect(created.status).toBe(201);
  const agentId = created.body.id as string;
  const shared = await call(`/api/permissions/agent/${agentId}`, {
    method: 'PUT',
    token: adminToken,
    body: { updated: [], removed: [], public: true, publicAccessRoleId: 'agent_user' },
  });
  expect(shared.status).toBe(200);
  return { userToken, agentId };
}

/** A plain user's agent list and model list run the list query as a named prepared statement. */
async function expectListsWork(call: Caller, token: string, agentId: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const agents = await call('/api/agents?limit=5', { token });
    expect({ status: agents.status, body: agents.body }).toMatchObject({ status: 200 });
    expect((agents.body.data as { id: string }[]).map((a) => a.id)).toEqual([agentId]);
    const models = await call('/api/agents/v1/models', { token });
    expect({ status: models.status, body: models.body }).toMatchObject({ status: 200 });
    expect((models.body.data as { id: string }[]).map((m) => m.id)).toEqual([agentId]);
  }
}

/**
 * The pool closes idle connections (DB_IDLE_TIMEOUT_MS) and opens new ones on the next request.
 * Queries that outlive a connection — named prepared statements above all — must keep working
 * after a real idle period, in both run modes.
 */
describe('after the pool closed its idle connections', () => {
  describe('embedded mode (PGlite), as a real process', () => {
    let dataDir: string;
    let api: RunningApi | undefined;

    beforeAll(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'agents-idle-'));
    });
    afterAll(async () => {
      await api?.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('still answers the lists of a plain user (one PGlite session outlives the connection)', async () => {
      const port = await freePort();
      api = spawnApi({
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        DB_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
      });
      await waitFor(`${api.baseUrl}/api/health/ready`).catch((err: Error) => {
        throw new Error(`${err.message}\n--- api output ---\n${api!.output()}`);
      });
      const call = callerFor(api.baseUrl);
      const { userToken, agentId } = await seed(call);
      await expectListsWork(call, userToken, agentId);

      await pause(IDLE_MS);
      await expectListsWork(call, userToken, agentId);
      await pause(IDLE_MS);
      await expectListsWork(call, userToken, agentId);
      expect(api.output()).not.toMatch(/already exists|ERROR/);
    });
  });

  describe('PostgreSQL', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await startTestApp({ DB_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) });
    });
    afterAll(() => app.close());

    const openConnections = (): Promise<number> =>
      withAdmin(async (client) => {
        const database = new URL(app.databaseUrl).pathname.slice(1);
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'agents-api'`,
          [database],
        );
        return rows[0]?.n ?? 0;
      });

    it('closes idle connections after DB_IDLE_TIMEOUT_MS and answers on new ones', async () => {
      const call = callerFor(app.baseUrl);
      const { userToken, agentId } = await seed(call);
      await expectListsWork(call, userToken, agentId);
      expect(await openConnections()).toBeGreaterThan(0);

      await pause(IDLE_MS);
      expect(await openConnections()).toBe(0); // the idle period really emptied the pool
      await expectListsWork(call, userToken, agentId);
    });
  });
});
