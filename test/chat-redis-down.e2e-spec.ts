import request from 'supertest';
import { createAgent, createUser } from './support/factories';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { TEST_JWT_SECRET, startTestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';

/**
 * The built api started with REDIS_URL pointing at a port nobody listens on: it starts, says it is
 * alive but not ready, answers every chat route 503 at once with a body naming Redis, keeps the
 * rest of the API working, and stops promptly on SIGTERM (no reconnect loop keeps it up).
 */
describe('api with Redis down at start', () => {
  let db: { url: string; drop: () => Promise<void> };
  let api: RunningApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = spawnApi({
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '100000',
    });
    await waitFor(`${api.baseUrl}/api/health`);
  }, 60_000);

  afterAll(async () => {
    await api.stop('SIGKILL');
    await db.drop();
  });

  it('is alive, not ready, serves agents, answers every chat route 503 naming Redis, then exits 0 on SIGTERM', async () => {
    const http = request(api.baseUrl);
    await http.get('/api/health').expect(200);
    const ready = await http.get('/api/health/ready').expect(503);
    expect(ready.body.message).toMatch(/redis/i);

    // Agents CRUD needs only the database.
    const me = await createUser(http);
    const agent = await createAgent(http, me);
    await http.get(`/api/agents/${agent.id}`).set(me.auth).expect(200);
    await http.patch(`/api/agents/${agent.id}`).set(me.auth).send({ description: 'still editable' }).expect(200);

    const conversationId = '3f0c7a2e-6a55-4c1e-9d0b-2b1f4c3d5e6f';
    const routes = [
      () => http.post('/api/agents/chat').set(me.auth).send({ agent_id: agent.id, text: 'Hello?' }),
      () => http.get(`/api/agents/chat/stream/${conversationId}`).set(me.auth),
      () => http.post('/api/agents/chat/abort').set(me.auth).send({ conversationId }),
      () => http.get(`/api/agents/chat/status/${conversationId}`).set(me.auth),
      () => http.get('/api/agents/chat/active').set(me.auth),
    ];
    for (const call of routes) {
      const t0 = Date.now();
      const res = await call().timeout(5_000);
      expect({ status: res.status, elapsedUnder1s: Date.now() - t0 < 1_000 }).toEqual({
        status: 503,
        elapsedUnder1s: true,
      });
      expect(res.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/redis/i) });
    }
    // Still unauthenticated first: the guard order does not reveal anything to strangers.
    await http.get('/api/agents/chat/active').expect(401);

    // The OpenAI-compatible API runs on the same queue and bus: 503 at once, in OpenAI's envelope.
    for (const call of [
      () =>
        http
          .post('/api/agents/v1/chat/completions')
          .set(me.auth)
          .send({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }] }),
      () => http.post('/api/agents/v1/responses').set(me.auth).send({ model: agent.id, input: 'Hi' }),
    ]) {
      const t0 = Date.now();
      const res = await call().timeout(5_000);
      expect(res.status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(res.body.error).toMatchObject({ message: expect.stringMatching(/redis/i) });
    }

    const t0 = Date.now();
    const code = await api.stop('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('leaves no reconnect timer or socket behind once closed (in process, where nothing forces an exit)', async () => {
    const active = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap');
    const before = active().length;
    const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // several reconnect attempts by now
    const me = await createUser(t.http);
    await t.http.get('/api/agents/chat/active').set(me.auth).expect(503);
    await t.close();
    // ioredis gives a closing socket up to 2 s (disconnectTimeout) before it lets go; a reconnect
    // loop would never let go.
    const deadline = Date.now() + 4_000;
    while (active().length > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(active().length).toBeLessThanOrEqual(before);
  });
});
