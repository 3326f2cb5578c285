import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createAgent, createUser, type TestUser, withoutTicket } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { readSse } from './support/sse';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * What a chat caller cannot do to the service or learn from it: take a message id that exists,
 * send more than the context budget, hold unbounded SSE connections.
 */
describe('chat limits (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test',
      CONTEXT_BUDGET_CHARS: '1000',
      MAX_SSE_CONNECTIONS_PER_USER: '2',
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  function start(user: TestUser, agentId: string, body: Record<string, unknown> = {}, key?: string) {
    const req = t.http.post('/api/agents/chat').set(user.auth);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send({ agent_id: agentId, text: 'Hello there', ...body });
  }
  /** Reads the stream to its end, so the conversation is free for the next start. */
  const finish = (user: TestUser, streamId: string) =>
    readSse(`${t.baseUrl}/api/agents/chat/stream/${streamId}`, user.auth);

  /** An SSE request held open until `close`; resolves with the status and headers once they arrive. */
  function openStream(
    user: TestUser,
    streamId: string,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Promise<string>; close: () => void }> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${t.baseUrl}/api/agents/chat/stream/${streamId}`, { headers: user.auth }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        const body = new Promise<string>((done) => {
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => done(text));
          res.on('close', () => done(text));
        });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, close: () => req.destroy() });
      });
      req.on('error', reject);
    });
  }

  describe('open streams per user (MAX_SSE_CONNECTIONS_PER_USER=2)', () => {
    it('refuses a third open stream with 429 and Retry-After, counts each user apart, and frees a slot on close', async () => {
      fake.script({ tokens: ['slow'], hangAfterTokens: true }, { tokens: ['slow'], hangAfterTokens: true });
      const me = await createUser(t.http);
      const other = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const otherAgent = await createAgent(t.http, other);
      const mine = (await start(me, agent.id).expect(200)).body.streamId as string;
      const theirs = (await start(other, otherAgent.id).expect(200)).body.streamId as string;
      const open = [await openStream(me, mine), await openStream(me, mine)];
      try {
        expect(open.map((s) => s.status)).toEqual([200, 200]);
        const refused = await openStream(me, mine);
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toBe('5');
        expect(JSON.parse(await refused.body)).toEqual({ error: 'Too Many Requests', message: expect.any(String) });

        const otherUsers = await openStream(other, theirs);
        expect(otherUsers.status).toBe(200);
        open.push(otherUsers);

        open[0].close();
        let again = await openStream(me, mine);
        for (let i = 0; again.status === 429 && i < 50; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          again = await openStream(me, mine);
        }
        expect(again.status).toBe(200);
        open.push(again);
      } finally {
        for (const s of open) s.close();
        await t.http.post('/api/agents/chat/abort').set(me.auth).send({ streamId: mine }).expect(200);
        await t.http.post('/api/agents/chat/abort').set(other.auth).send({ streamId: theirs }).expect(200);
        await finish(me, mine);
        await finish(other, theirs);
      }
    });
  });

  describe('the context budget (CONTEXT_BUDGET_CHARS=1000)', () => {
    it('sends the provider the newest history that fits, oldest messages dropped first', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me, { instructions: 'Be brief.' });
      fake.script({ tokens: ['b'.repeat(300)] }, { tokens: ['d'.repeat(300)] }, { tokens: ['f'] });
      const one = await start(me, agent.id, { text: 'a'.repeat(300) }).expect(200);
      await finish(me, one.body.streamId as string);
      const conversationId = one.body.conversationId as string;
      const two = await start(me, agent.id, { text: 'c'.repeat(300), conversationId }).expect(200);
      await finish(me, two.body.streamId as string);
      const three = await start(me, agent.id, { text: 'e'.repeat(300), conversationId }).expect(200);
      const sse = await finish(me, three.body.streamId as string);
      expect(sse.frames[sse.frames.length - 1].data).toMatchObject({ final: true });

      // 9 + 5 × 300 characters do not fit in 1000: the first exchange is not sent, the rest is.
      expect(fake.requests[fake.requests.length - 1].body?.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'c'.repeat(300) },
        { role: 'assistant', content: 'd'.repeat(300) },
        { role: 'user', content: 'e'.repeat(300) },
      ]);
      // Only what is sent is cut: the conversation keeps every message.
      const stored = await t.http.get(`/api/messages/${conversationId}`).set(me.auth).expect(200);
      expect(stored.body).toHaveLength(6);
    });

    it('refuses a message that with the instructions is over the budget by itself: 400 naming text, nothing stored', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me, { instructions: 'Be brief.' });
      const requests = fake.requests.length;
      const res = await start(me, agent.id, { text: 'x'.repeat(992) }).expect(400);
      expect(res.body).toMatchObject({
        error: 'Bad Request',
        details: [{ field: 'text', message: expect.any(String) }],
      });
      expect(res.body.details[0].message).toContain('1001');
      expect((await t.http.get('/api/convos').set(me.auth).expect(200)).body.data).toEqual([]);
      await t.http.get('/api/agents/chat/active').set(me.auth).expect(200, { activeJobIds: [] });
      // One character less fits exactly.
      const fits = await start(me, agent.id, { text: 'x'.repeat(991) }).expect(200);
      await finish(me, fits.body.streamId as string);
      expect(fake.requests.length).toBe(requests + 1);
    });
  });

  describe('a client-chosen messageId that is taken', () => {
    const inUse = { error: 'Conflict', message: 'messageId is already in use; choose another or omit it' };

    it('answers the same 409 whether the message is the caller’s or another user’s, and writes nothing', async () => {
      const me = await createUser(t.http);
      const other = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      await t.http
        .put(`/api/permissions/agent/${agent.id}`)
        .set(me.auth)
        .send({ updated: [{ type: 'user', id: other.id, accessRoleId: 'agent_user' }] })
        .expect(200);
      const messageId = randomUUID();
      const first = await start(me, agent.id, { messageId }).expect(200);
      expect(first.body.userMessageId).toBe(messageId);
      await finish(me, first.body.streamId as string);

      const mine = await start(me, agent.id, { messageId, text: 'again' }).expect(409);
      const mineInConversation = await start(me, agent.id, {
        messageId,
        conversationId: first.body.conversationId,
      }).expect(409);
      const theirs = await start(other, agent.id, { messageId, text: 'probe' }).expect(409);
      expect(mine.body).toEqual(inUse);
      expect(mineInConversation.body).toEqual(inUse);
      expect(theirs.body).toEqual(inUse);

      // Nothing half-written: no conversation for the prober, no running generation left behind,
      // and the existing conversation is neither blocked nor changed.
      expect((await t.http.get('/api/convos').set(other.auth).expect(200)).body.data).toEqual([]);
      expect((await t.http.get('/api/convos').set(me.auth).expect(200)).body.data).toHaveLength(1);
      await t.http.get('/api/agents/chat/active').set(other.auth).expect(200, { activeJobIds: [] });
      await t.http.get('/api/agents/chat/active').set(me.auth).expect(200, { activeJobIds: [] });
      const messages = await t.http.get(`/api/messages/${first.body.conversationId}`).set(me.auth).expect(200);
      expect((messages.body as { text: string }[]).map((m) => m.text)).toEqual(['Hello there', 'Hello world']);
      const next = await start(me, agent.id, { conversationId: first.body.conversationId }).expect(200);
      await finish(me, next.body.streamId as string);
    });

    it('keeps idempotent retries working: the same key returns the original answer, another key gets 409', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const messageId = randomUUID();
      const key = `k-${randomUUID()}`;
      const first = await start(me, agent.id, { messageId }, key).expect(200);
      const retried = await start(me, agent.id, { messageId }, key).expect(200);
      expect(withoutTicket(retried.body)).toEqual(withoutTicket(first.body));
      await finish(me, first.body.streamId as string);

      const otherKey = `k-${randomUUID()}`;
      expect((await start(me, agent.id, { messageId }, otherKey).expect(409)).body).toEqual(inUse);
      // The refused start released its key: a retry is refused for the same reason, not held as in progress.
      expect((await start(me, agent.id, { messageId }, otherKey).expect(409)).body).toEqual(inUse);
      // …and the key is free again: with a message id of its own the start goes through.
      const fresh = await start(me, agent.id, { messageId: randomUUID() }, otherKey).expect(200);
      await finish(me, fresh.body.streamId as string);
    });
  });
});
