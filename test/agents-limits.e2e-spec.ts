import { createAgent, createUser, type TestUser } from './support/factories';
import { startTestApp, type TestApp } from './support/test-app';

/** Caps on what one user can make the database hold: agents per user, versions per agent. */
describe('agent limits (e2e, MAX_AGENTS_PER_USER=3, MAX_VERSIONS_PER_AGENT=3)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ MAX_AGENTS_PER_USER: '3', MAX_VERSIONS_PER_AGENT: '3' });
  });
  afterAll(() => t.close());

  const listIds = async (user: TestUser): Promise<string[]> =>
    ((await t.http.get('/api/agents?limit=100').set(user.auth).expect(200)).body.data as { id: string }[]).map(
      (a) => a.id,
    );

  describe('agents per user', () => {
    it('refuses a fourth agent, created or duplicated, with 409 and creates nothing; a delete frees a place', async () => {
      const me = await createUser(t.http);
      const agents = [await createAgent(t.http, me), await createAgent(t.http, me), await createAgent(t.http, me)];
      const refused = await t.http.post('/api/agents').set(me.auth).send({ provider: 'openai', model: 'gpt-4o' });
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({ error: 'Conflict', message: expect.stringContaining('3 agents') });
      await t.http.post(`/api/agents/${agents[0].id}/duplicate`).set(me.auth).expect(409);
      expect((await listIds(me)).sort()).toEqual(agents.map((a) => a.id).sort());

      // Others are not affected.
      await createAgent(t.http, await createUser(t.http));

      await t.http.delete(`/api/agents/${agents[0].id}`).set(me.auth).expect(200);
      await t.http.post(`/api/agents/${agents[1].id}/duplicate`).set(me.auth).expect(201);
    });

    it('lets exactly three of ten concurrent creations by one user through', async () => {
      const me = await createUser(t.http);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.http.post('/api/agents').set(me.auth).send({ provider: 'openai', model: 'gpt-4o' }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
      expect(await listIds(me)).toHaveLength(3);
    });
  });

  describe('versions per agent', () => {
    it('refuses a change or a revert past the third version with 409 and changes nothing; a copy starts afresh', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me, { name: 'v1' });
      await t.http.patch(`/api/agents/${agent.id}`).set(me.auth).send({ name: 'v2' }).expect(200);
      await t.http.patch(`/api/agents/${agent.id}`).set(me.auth).send({ name: 'v3' }).expect(200);

      const refused = await t.http.patch(`/api/agents/${agent.id}`).set(me.auth).send({ name: 'v4' });
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({ error: 'Conflict', message: expect.stringContaining('3 versions') });
      await t.http.post(`/api/agents/${agent.id}/revert`).set(me.auth).send({ version: 1 }).expect(409);
      // An update that changes nothing creates no version, so it is not refused.
      await t.http.patch(`/api/agents/${agent.id}`).set(me.auth).send({ name: 'v3' }).expect(200);

      const current = (await t.http.get(`/api/agents/${agent.id}`).set(me.auth).expect(200)).body;
      expect(current).toMatchObject({ name: 'v3', version: 3 });
      const versions = (await t.http.get(`/api/agents/${agent.id}/versions`).set(me.auth).expect(200)).body;
      expect((versions.data as { version: number }[]).map((v) => v.version)).toEqual([3, 2, 1]);

      const copy = (await t.http.post(`/api/agents/${agent.id}/duplicate`).set(me.auth).expect(201)).body;
      expect(copy.version).toBe(1);
      await t.http.patch(`/api/agents/${copy.id}`).set(me.auth).send({ name: 'copy v2' }).expect(200);
    });
  });
});
