import request from 'supertest';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { createAgent, createUser, type TestUser } from './support/factories';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { readSse } from './support/sse';
import { TEST_JWT_SECRET } from './support/test-app';
import { createTestDatabase } from './support/test-database';

const PAGE_ORIGIN = 'http://page.example';

/**
 * Stream tickets: what lets a browser's native EventSource (which cannot send Authorization) open
 * a stream. The built api runs as a process, so its real log output can be searched for tickets.
 */
describe('stream tickets', () => {
  let db: { url: string; drop: () => Promise<void> };
  let fake: FakeOpenAI;
  let api: RunningApi;
  let me: TestUser;
  let other: TestUser;
  let agentId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeOpenAI();
    api = spawnApi({
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test',
      LOG_LEVEL: 'info', // every request is logged: tickets must not be
      AUTH_RATE_LIMIT: '100000',
      CORS_ORIGINS: PAGE_ORIGIN,
    });
    await waitFor(`${api.baseUrl}/api/health/ready`);
    const http = request(api.baseUrl);
    me = await createUser(http);
    other = await createUser(http);
    agentId = (await createAgent(http, me)).id;
  }, 60_000);

  afterAll(async () => {
    await api?.stop('SIGKILL');
    await fake?.close();
    await db?.drop();
  });

  const start = () =>
    request(api.baseUrl).post('/api/agents/chat').set(me.auth).send({ agent_id: agentId, text: 'Hi' }).expect(200);

  it('the start answer carries an absolute stream URL whose ticket opens that stream, cross-origin, without a header', async () => {
    fake.script({ tokens: ['Ticket', ' holder'] });
    const started = await start();
    const { streamUrl, ticketExpiresAt, streamId } = started.body as Record<string, string>;
    expect(streamUrl.startsWith(`${api.baseUrl}/api/agents/chat/stream/${streamId}?ticket=`)).toBe(true);
    const ttl = Date.parse(ticketExpiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(4 * 60_000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000);

    const sse = await readSse(streamUrl, { Origin: PAGE_ORIGIN });
    expect(sse.status).toBe(200);
    expect(sse.headers['access-control-allow-origin']).toBe(PAGE_ORIGIN);
    expect(sse.frames[sse.frames.length - 1].data).toMatchObject({
      final: true,
      responseMessage: { text: 'Ticket holder' },
    });
    // A reconnect with the same URL and Last-Event-ID continues after that event, as EventSource does.
    const again = await readSse(streamUrl, { 'Last-Event-ID': sse.frames[1].id! });
    expect(again.frames.map((f) => f.id)).toEqual(sse.frames.slice(2).map((f) => f.id));
  });

  it('a ticket opens its one stream only: not another stream, not another route, not when tampered with', async () => {
    fake.setDefault({ tokens: ['x'] });
    const mine = (await start()).body as Record<string, string>;
    const theirsAgent = await createAgent(request(api.baseUrl), other);
    const theirs = (
      await request(api.baseUrl)
        .post('/api/agents/chat')
        .set(other.auth)
        .send({ agent_id: theirsAgent.id, text: 'Mine' })
        .expect(200)
    ).body as Record<string, string>;
    const ticket = new URL(mine.streamUrl).searchParams.get('ticket')!;
    const http = request(api.baseUrl);

    await http.get(`/api/agents/chat/stream/${theirs.streamId}`).query({ ticket }).expect(401);
    await http.get(`/api/agents/chat/status/${mine.streamId}`).query({ ticket }).expect(401);
    await http.get('/api/agents').query({ ticket }).expect(401);
    const tampered = ticket.slice(0, -2) + (ticket.endsWith('AA') ? 'BB' : 'AA');
    const refused = await http.get(`/api/agents/chat/stream/${mine.streamId}`).query({ ticket: tampered }).expect(401);
    expect(refused.body.message).toMatch(/ticket/);

    // A fresh ticket for a later reconnect: only for the stream's owner.
    const fresh = await http.post(`/api/agents/chat/stream/${mine.streamId}/ticket`).set(me.auth).expect(200);
    expect(fresh.body).toEqual({ streamUrl: expect.stringContaining('?ticket='), ticketExpiresAt: expect.any(String) });
    expect((await readSse(fresh.body.streamUrl as string, {})).status).toBe(200);
    await http.post(`/api/agents/chat/stream/${mine.streamId}/ticket`).set(other.auth).expect(404);
    await http.post(`/api/agents/chat/stream/${mine.streamId}/ticket`).expect(401);
  });

  it('never writes a ticket to the log', async () => {
    fake.setDefault({ tokens: ['logged'] });
    const { streamUrl } = (await start()).body as Record<string, string>;
    await readSse(streamUrl, {});
    const ticket = new URL(streamUrl).searchParams.get('ticket')!;
    const signature = ticket.split('.').pop()!;
    await waitFor(`${api.baseUrl}/api/health`); // the request log line is written after the response
    const output = api.output();
    expect(output).toContain('ticket=[redacted]');
    expect(output).not.toContain(signature);
  });
});
