import { createAgent, createUser } from './support/factories';
import { startTestApp, type TestApp } from './support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('creates and reads an agent', async () => {
    const u = await createUser(t.http);
    const a = await createAgent(t.http, u);
    const res = await t.http.get(`/api/agents/${a.id}`).set(u.auth).expect(200);
    expect(res.body.id).toBe(a.id);
  });
});
