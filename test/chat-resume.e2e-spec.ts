import type { AddressInfo } from 'node:net';
import { createAgent, createUser, type TestUser, withoutTicket } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { readSse, type SseFrame } from './support/sse';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * `resume=true` snapshots and idempotent starts (`Idempotency-Key` / `clientRequestId`),
 * docs/http-api.md § Streams and § Chat.
 */
describe('chat: resume snapshot and idempotent starts', () => {
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

  const deltas = (frames: SseFrame[]) =>
    frames
      .filter((f) => f.data.event === 'on_message_delta')
      .map((f) => f.data.data.delta.content[0].text as string)
      .join('');
  const snapshotText = (frame: SseFrame) =>
    (frame.data.resumeState.aggregatedContent as { type: string; text?: string }[])
      .filter((p) => p.type === 'text')
      .map((p) => p.text)
      .join('');

  function start(user: TestUser, body: Record<string, unknown>, key?: string) {
    const req = t.http.post('/api/agents/chat').set(user.auth);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send({ text: 'Hello there', ...body });
  }

  describe('resume=true', () => {
    it('starts with one sync frame holding the answer so far, then exactly the later events', async () => {
      const tokens = Array.from({ length: 40 }, (_, i) => `t${i} `);
      fake.script({ tokens, tokenDelayMs: 10 });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const started = await start(me, { agent_id: agent.id }).expect(200);
      const url = `${base}/api/agents/chat/stream/${started.body.streamId}`;
      await readSse(url, me.auth, { stopAfter: 8 }); // some tokens are out before the reload

      const resumed = await readSse(`${url}?resume=true`, me.auth);
      const [sync, ...live] = resumed.frames;
      expect(sync.data).toMatchObject({
        sync: true,
        pendingEvents: [],
        resumeState: {
          conversationId: started.body.conversationId,
          responseMessageId: started.body.responseMessageId,
          userMessage: { messageId: started.body.userMessageId, text: 'Hello there' },
        },
      });
      expect(sync.data.resumeState.runSteps).toEqual([expect.objectContaining({ index: 0, type: 'message_creation' })]);
      const before = snapshotText(sync);
      expect(before.length).toBeGreaterThan(0);
      expect(before + deltas(live)).toBe(tokens.join(''));
      expect(live.filter((f) => f.data.sync)).toHaveLength(0);
      expect(live[live.length - 1].data).toMatchObject({ final: true });

      // The sync frame carries the id of the last event it covers, so Last-Event-ID continues after it.
      const again = await readSse(url, { ...me.auth, 'Last-Event-ID': sync.id! });
      expect(before + deltas(again.frames)).toBe(tokens.join(''));
    });

    it('on a finished stream answers the whole answer as a snapshot, then the final, and ends', async () => {
      fake.script({ tokens: ['All', ' done'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const started = await start(me, { agent_id: agent.id }).expect(200);
      const url = `${base}/api/agents/chat/stream/${started.body.streamId}`;
      await readSse(url, me.auth);

      const resumed = await readSse(`${url}?resume=true`, me.auth, { timeoutMs: 2000 });
      expect(resumed.frames).toHaveLength(2);
      expect(snapshotText(resumed.frames[0])).toBe('All done');
      expect(resumed.frames[1].data).toMatchObject({ final: true, responseMessage: { text: 'All done' } });
    });

    it('is still 404 for a stream the caller does not own', async () => {
      fake.script({ tokens: ['mine'] });
      const owner = await createUser(t.http);
      const stranger = await createUser(t.http);
      const agent = await createAgent(t.http, owner);
      const started = await start(owner, { agent_id: agent.id }).expect(200);
      const denied = await readSse(
        `${base}/api/agents/chat/stream/${started.body.streamId}?resume=true`,
        stranger.auth,
      );
      expect(denied.status).toBe(404);
    });
  });

  describe('idempotency', () => {
    it('returns the original answer to a retry with the same key and starts nothing twice', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const requestsBefore = fake.requests.length;
      fake.script({ tokens: ['once'] });
      const first = await start(me, { agent_id: agent.id }, 'retry-key-1').expect(200);
      await readSse(`${base}/api/agents/chat/stream/${first.body.streamId}`, me.auth);
      const retry = await start(me, { agent_id: agent.id }, 'retry-key-1').expect(200);
      expect(withoutTicket(retry.body)).toEqual(withoutTicket(first.body));

      const messages = await t.http.get(`/api/messages/${first.body.conversationId}`).set(me.auth).expect(200);
      expect((messages.body as { text: string }[]).map((m) => m.text)).toEqual(['Hello there', 'once']);
      const convos = await t.http.get('/api/convos').set(me.auth).expect(200);
      expect(convos.body.data).toHaveLength(1);
      expect(fake.requests.length - requestsBefore).toBe(1);
    });

    it('refuses the same key with a different body (422), and accepts clientRequestId in the body', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      fake.script({ tokens: ['a'] });
      const first = await start(me, { agent_id: agent.id, clientRequestId: 'client-7' }).expect(200);
      await readSse(`${base}/api/agents/chat/stream/${first.body.streamId}`, me.auth);
      const replay = await start(me, { agent_id: agent.id }, 'client-7').expect(200);
      expect(withoutTicket(replay.body)).toEqual(withoutTicket(first.body));
      const changed = await start(me, { agent_id: agent.id, text: 'Something else' }, 'client-7').expect(422);
      expect(changed.body).toMatchObject({ error: 'Unprocessable Entity' });
      expect(changed.body.message).toMatch(/different request/);
    });

    it('keeps keys per user and answers concurrent retries with one start', async () => {
      const me = await createUser(t.http);
      const other = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const theirs = await createAgent(t.http, other);
      fake.setDefault({ tokens: ['same'] });
      const answers = await Promise.all([1, 2, 3].map(() => start(me, { agent_id: agent.id }, 'burst')));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(new Set(answers.map((a) => a.body.streamId as string)).size).toBe(1);
      await readSse(`${base}/api/agents/chat/stream/${answers[0].body.streamId}`, me.auth);
      const convos = await t.http.get('/api/convos').set(me.auth).expect(200);
      expect(convos.body.data).toHaveLength(1);

      const otherStart = await start(other, { agent_id: theirs.id }, 'burst').expect(200);
      expect(otherStart.body.streamId).not.toBe(answers[0].body.streamId);
    });

    it('frees the key of a start that failed, so the retry can start', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      fake.script({ tokens: Array.from({ length: 30 }, (_, i) => `b${i} `), tokenDelayMs: 10 }, { tokens: ['second'] });
      const first = await start(me, { agent_id: agent.id }).expect(200);
      const conversationId = first.body.conversationId as string;
      const body = { agent_id: agent.id, conversationId, text: 'Next' };
      await start(me, body, 'after-busy').expect(409); // the first generation is still running
      await readSse(`${base}/api/agents/chat/stream/${conversationId}`, me.auth);
      const retried = await start(me, body, 'after-busy').expect(200);
      expect(retried.body.conversationId).toBe(conversationId);
      expect(withoutTicket((await start(me, body, 'after-busy').expect(200)).body)).toEqual(
        withoutTicket(retried.body),
      );
    });

    it('names a malformed key, and a body id that contradicts the header', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const bad = await start(me, { agent_id: agent.id }, 'has space').expect(400);
      expect(bad.body.details).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      const tooLong = await start(me, { agent_id: agent.id, clientRequestId: 'x'.repeat(256) }).expect(400);
      expect(tooLong.body.details).toEqual([expect.objectContaining({ field: 'clientRequestId' })]);
      const contradict = await start(me, { agent_id: agent.id, clientRequestId: 'one' }, 'two').expect(400);
      expect(contradict.body.details).toEqual([expect.objectContaining({ field: 'clientRequestId' })]);
    });
  });
});
