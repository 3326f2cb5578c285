import type { AddressInfo } from 'node:net';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { readSse, type SseFrame } from './support/sse';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * A chat end to end over HTTP: start, stream over SSE, resume, abort. No REDIS_URL here, so the
 * in-process queue and event bus carry it (the Redis adapters pass the same contract suites).
 */
describe('chat', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let base: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const text = (frames: SseFrame[]) =>
    frames
      .filter((f) => f.data.event === 'on_message_delta')
      .map((f) => f.data.data.delta.content[0].text as string)
      .join('');

  function start(user: TestUser, agentId: string, body: Record<string, unknown> = {}) {
    return t.http
      .post('/api/agents/chat')
      .set(user.auth)
      .send({ agent_id: agentId, text: 'Hello there', ...body });
  }

  it('streams the answer over SSE and stores both messages', async () => {
    fake.script({ tokens: ['General', ' Kenobi', '!'] });
    const me = await createUser(t.http);
    const agent = await createAgent(t.http, me, { instructions: 'Answer like a Jedi.' });
    const started = await start(me, agent.id).expect(200);
    expect(started.body).toMatchObject({ status: 'started', streamId: started.body.conversationId });

    const sse = await readSse(`${base}/api/agents/chat/stream/${started.body.streamId}`, me.auth);
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sse.headers['cache-control']).toBe('no-cache, no-transform');
    expect(sse.headers['x-accel-buffering']).toBe('no');
    expect(sse.frames[0].data).toMatchObject({
      created: true,
      message: { messageId: started.body.userMessageId, text: 'Hello there' },
    });
    expect(text(sse.frames)).toBe('General Kenobi!');
    const last = sse.frames[sse.frames.length - 1];
    expect(last.data).toMatchObject({
      final: true,
      responseMessage: { messageId: started.body.responseMessageId, text: 'General Kenobi!' },
    });
    expect(sse.frames.filter((f) => f.data.final || f.event === 'error')).toHaveLength(1);
    expect(sse.frames.every((f) => typeof f.id === 'string')).toBe(true);

    const messages = await t.http.get(`/api/messages/${started.body.conversationId}`).set(me.auth).expect(200);
    expect((messages.body as { text: string }[]).map((m) => m.text)).toEqual(['Hello there', 'General Kenobi!']);
    expect(fake.requests[fake.requests.length - 1].body?.messages?.[0]).toMatchObject({
      role: 'system',
      content: 'Answer like a Jedi.',
    });
  });

  it('resumes after Last-Event-ID with every later event exactly once', async () => {
    fake.script({ tokens: Array.from({ length: 30 }, (_, i) => `${i} `), tokenDelayMs: 5 });
    const me = await createUser(t.http);
    const agent = await createAgent(t.http, me);
    const started = await start(me, agent.id).expect(200);
    const url = `${base}/api/agents/chat/stream/${started.body.streamId}`;

    const first = await readSse(url, me.auth, { stopAfter: 6 });
    const rest = await readSse(url, { ...me.auth, 'Last-Event-ID': first.frames[first.frames.length - 1].id! });
    const all = [...first.frames, ...rest.frames];
    expect(new Set(all.map((f) => f.id)).size).toBe(all.length);
    expect(text(all)).toBe(Array.from({ length: 30 }, (_, i) => `${i} `).join(''));
    expect(all[all.length - 1].data.final).toBe(true);
  });

  it('continues a conversation under the latest message and sends the thread as history', async () => {
    fake.script({ tokens: ['first answer'] }, { tokens: ['second answer'] });
    const me = await createUser(t.http);
    const agent = await createAgent(t.http, me);
    const one = await start(me, agent.id, { text: 'first question' }).expect(200);
    await readSse(`${base}/api/agents/chat/stream/${one.body.streamId}`, me.auth);
    const two = await start(me, agent.id, { text: 'second question', conversationId: one.body.conversationId }).expect(
      200,
    );
    await readSse(`${base}/api/agents/chat/stream/${two.body.streamId}`, me.auth);
    const history = fake.requests[fake.requests.length - 1].body?.messages?.slice(1);
    expect(history).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'second question' },
    ]);
  });

  it('answers 409 to a second start while the first runs, and aborts with the partial answer saved', async () => {
    fake.script({ tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), tokenDelayMs: 20 });
    const me = await createUser(t.http);
    const agent = await createAgent(t.http, me);
    const started = await start(me, agent.id).expect(200);
    const conversationId = started.body.conversationId as string;
    await start(me, agent.id, { conversationId }).expect(409);

    const url = `${base}/api/agents/chat/stream/${conversationId}`;
    await readSse(url, me.auth, { stopAfter: 5 });
    await t.http
      .post('/api/agents/chat/abort')
      .set(me.auth)
      .send({ conversationId })
      .expect(200, { success: true, aborted: conversationId });
    const replay = await readSse(url, me.auth);
    const final = replay.frames[replay.frames.length - 1].data;
    expect(final).toMatchObject({ final: true, aborted: true, responseMessage: { unfinished: true } });
    const messages = await t.http.get(`/api/messages/${conversationId}`).set(me.auth).expect(200);
    expect(messages.body[1]).toMatchObject({ unfinished: true });
    expect((messages.body[1].text as string).startsWith('w0 ')).toBe(true);
  });

  it('reports status and active before, during and after a generation, and limits running generations per user', async () => {
    fake.setDefault({ tokens: Array.from({ length: 100 }, (_, i) => `s${i} `), tokenDelayMs: 20 });
    try {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      await t.http.get('/api/agents/chat/active').set(me.auth).expect(200, { activeJobIds: [] });
      const one = await start(me, agent.id).expect(200);
      const two = await start(me, agent.id).expect(200);
      const limited = await start(me, agent.id).expect(429); // MAX_CONCURRENT_GENERATIONS defaults to 2
      expect(limited.headers['retry-after']).toBeDefined();
      const active = await t.http.get('/api/agents/chat/active').set(me.auth).expect(200);
      expect([...active.body.activeJobIds].sort()).toEqual([one.body.streamId, two.body.streamId].sort());

      await readSse(`${base}/api/agents/chat/stream/${one.body.streamId}`, me.auth, { stopAfter: 5 });
      const running = await t.http.get(`/api/agents/chat/status/${one.body.conversationId}`).set(me.auth).expect(200);
      expect(running.body).toMatchObject({ active: true, status: 'running', streamId: one.body.streamId });
      expect(running.body.aggregatedContent).toEqual([{ type: 'text', text: expect.stringMatching(/^s0 /) }]);

      for (const s of [one, two]) {
        await t.http.post('/api/agents/chat/abort').set(me.auth).send({ streamId: s.body.streamId }).expect(200);
        await readSse(`${base}/api/agents/chat/stream/${s.body.streamId}`, me.auth);
      }
      const after = await t.http.get(`/api/agents/chat/status/${one.body.conversationId}`).set(me.auth).expect(200);
      expect(after.body).toMatchObject({ active: false, status: 'aborted' });
      await t.http.get('/api/agents/chat/active').set(me.auth).expect(200, { activeJobIds: [] });
      const stranger = await createUser(t.http);
      await t.http
        .get(`/api/agents/chat/status/${one.body.conversationId}`)
        .set(stranger.auth)
        .expect(200, { active: false });
    } finally {
      fake.setDefault({ tokens: ['Hello', ' world'] });
    }
  });

  it('keeps streams and chats to those allowed: USE, ownership, validation', async () => {
    const owner = await createUser(t.http);
    const stranger = await createUser(t.http);
    const agent = await createAgent(t.http, owner);
    await start(stranger, agent.id).expect(404); // cannot even see the agent
    const started = await start(owner, agent.id).expect(200);
    await readSse(`${base}/api/agents/chat/stream/${started.body.streamId}`, owner.auth);
    const denied = await readSse(`${base}/api/agents/chat/stream/${started.body.streamId}`, stranger.auth);
    expect(denied.status).toBe(404);
    await t.http.get(`/api/agents/chat/stream/${started.body.streamId}`).expect(401);
    const bad = await t.http
      .post('/api/agents/chat')
      .set(owner.auth)
      .send({ agent_id: agent.id, text: '' })
      .expect(400);
    expect((bad.body.details as { field: string }[]).map((d) => d.field)).toEqual(['text']);
    await t.http
      .post('/api/agents/chat/abort')
      .set(owner.auth)
      .send({ conversationId: '00000000-0000-4000-8000-000000000000' })
      .expect(404);
  });
});
