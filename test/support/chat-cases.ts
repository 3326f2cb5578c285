import request from 'supertest';
import { createAgent, createUser, type TestUser } from './factories';
import type { FakeOpenAI } from './fake-openai';
import { readSse, type SseFrame } from './sse';

/** Where the core chat cases run: one api (embedded) or two instances of it (distributed). */
export interface ChatDeployment {
  fake: FakeOpenAI;
  /** The api instance that starts chats. */
  apiA: string;
  /** Another instance (or the same one when there is only one). */
  apiB: string;
}

export const deltasText = (frames: SseFrame[]): string =>
  frames
    .filter((f) => f.data.event === 'on_message_delta')
    .map((f) => f.data.data.delta.content[0].text as string)
    .join('');

const words = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i} `);
const terminals = (frames: SseFrame[]) => frames.filter((f) => f.data.final === true || f.event === 'error');

/**
 * The chat cases of issue 4 that must hold in every run mode, written once: each mode's suite
 * starts its processes and calls this inside its `describe`.
 */
export function coreChatCases(deployment: () => ChatDeployment): void {
  const ctx = () => deployment();
  const start = (user: TestUser, agentId: string, body: Record<string, unknown> = {}) =>
    request(ctx().apiA)
      .post('/api/agents/chat')
      .set(user.auth)
      .send({ agent_id: agentId, text: 'Hello there', ...body });
  const streamUrl = (base: string, streamId: string) => `${base}/api/agents/chat/stream/${streamId}`;
  const newUserWithAgent = async () => {
    const me = await createUser(request(ctx().apiA));
    const agent = await createAgent(request(ctx().apiA), me);
    return { me, agent };
  };

  it('streams a full chat, stores both messages before the one final frame', async () => {
    ctx().fake.script({ tokens: ['General', ' Kenobi', '!'] });
    const { me, agent } = await newUserWithAgent();
    const started = await start(me, agent.id).expect(200);
    const sse = await readSse(streamUrl(ctx().apiA, started.body.streamId), me.auth);
    expect(sse.frames[0].data).toMatchObject({ created: true, message: { messageId: started.body.userMessageId } });
    expect(deltasText(sse.frames)).toBe('General Kenobi!');
    expect(terminals(sse.frames)).toHaveLength(1);
    expect(sse.frames[sse.frames.length - 1].data).toMatchObject({
      final: true,
      responseMessage: { messageId: started.body.responseMessageId, text: 'General Kenobi!' },
    });
    const stored = await request(ctx().apiB).get(`/api/messages/${started.body.conversationId}`).set(me.auth);
    expect((stored.body as { text: string }[]).map((m) => m.text)).toEqual(['Hello there', 'General Kenobi!']);
  });

  it('keeps generating when the only client drops in its first 100 ms, before the first token', async () => {
    ctx().fake.script({ tokens: ['still', ' here'], firstTokenDelayMs: 300 });
    const { me, agent } = await newUserWithAgent();
    const started = await start(me, agent.id).expect(200);
    const controller = new AbortController();
    const reading = fetch(streamUrl(ctx().apiA, started.body.streamId), {
      headers: me.auth,
      signal: controller.signal,
    }).then(async (res) => {
      for await (const chunk of res.body!) void chunk; // read until the abort below cuts it
    });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await reading.catch(() => undefined);

    const replay = await readSse(streamUrl(ctx().apiB, started.body.streamId), me.auth);
    expect(deltasText(replay.frames)).toBe('still here');
    expect(replay.frames[replay.frames.length - 1].data).toMatchObject({ final: true });
    expect(replay.frames[replay.frames.length - 1].data.aborted).toBeUndefined();
  });

  it('reassembles exactly the provider text across disconnects at random points, resuming on the other instance', async () => {
    const tokens = words(60, 't');
    ctx().fake.script({ tokens, tokenDelayMs: 8 });
    const { me, agent } = await newUserWithAgent();
    const started = await start(me, agent.id).expect(200);
    const frames: SseFrame[] = [];
    for (let hop = 0; ; hop++) {
      const base = hop % 2 === 0 ? ctx().apiA : ctx().apiB;
      const lastId = frames[frames.length - 1]?.id;
      const part = await readSse(
        streamUrl(base, started.body.streamId),
        lastId ? { ...me.auth, 'Last-Event-ID': lastId } : me.auth,
        {
          stopAfter: 1 + Math.floor(Math.random() * 6),
        },
      );
      frames.push(...part.frames);
      if (terminals(part.frames).length > 0) break;
    }
    expect(new Set(frames.map((f) => f.id)).size).toBe(frames.length);
    expect(deltasText(frames)).toBe(tokens.join(''));
    expect(terminals(frames)).toHaveLength(1);
  });

  it('resumes with a sync snapshot (resume=true) on the other instance, then the rest exactly once', async () => {
    const tokens = words(40, 'r');
    ctx().fake.script({ tokens, tokenDelayMs: 10 });
    const { me, agent } = await newUserWithAgent();
    const started = await start(me, agent.id).expect(200);
    await readSse(streamUrl(ctx().apiA, started.body.streamId), me.auth, { stopAfter: 6 });
    const resumed = await readSse(`${streamUrl(ctx().apiB, started.body.streamId)}?resume=true`, me.auth);
    const [sync, ...live] = resumed.frames;
    expect(sync.data.sync).toBe(true);
    const before = (sync.data.resumeState.aggregatedContent as { type: string; text?: string }[])
      .filter((p) => p.type === 'text')
      .map((p) => p.text)
      .join('');
    expect(before + deltasText(live)).toBe(tokens.join(''));
  });

  it('aborts through the other instance: partial answer kept as unfinished, abort final within a second', async () => {
    ctx().fake.script({ tokens: words(300, 'w'), tokenDelayMs: 20 });
    const { me, agent } = await newUserWithAgent();
    const started = await start(me, agent.id).expect(200);
    const conversationId = started.body.conversationId as string;
    const reading = readSse(streamUrl(ctx().apiA, conversationId), me.auth);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await request(ctx().apiB).post('/api/agents/chat/abort').set(me.auth).send({ conversationId }).expect(200);
    const sse = await reading;
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(sse.frames[sse.frames.length - 1].data).toMatchObject({ final: true, aborted: true });
    const stored = await request(ctx().apiB).get(`/api/messages/${conversationId}`).set(me.auth).expect(200);
    expect(stored.body[1]).toMatchObject({ unfinished: true });
    expect((stored.body[1].text as string).startsWith('w0 ')).toBe(true);
  });

  it('reports status and active before, during and after, and answers 409 to a second start', async () => {
    ctx().fake.script({ tokens: words(100, 's'), tokenDelayMs: 10 });
    const { me, agent } = await newUserWithAgent();
    await request(ctx().apiB).get('/api/agents/chat/active').set(me.auth).expect(200, { activeJobIds: [] });
    const started = await start(me, agent.id).expect(200);
    const conversationId = started.body.conversationId as string;
    await start(me, agent.id, { conversationId }).expect(409);
    await request(ctx().apiB)
      .get('/api/agents/chat/active')
      .set(me.auth)
      .expect(200, { activeJobIds: [started.body.streamId] });
    await readSse(streamUrl(ctx().apiA, conversationId), me.auth, { stopAfter: 5 });
    const during = await request(ctx().apiB).get(`/api/agents/chat/status/${conversationId}`).set(me.auth).expect(200);
    expect(during.body).toMatchObject({ active: true, status: 'running', streamId: conversationId });
    await readSse(streamUrl(ctx().apiB, conversationId), me.auth);
    const after = await request(ctx().apiB).get(`/api/agents/chat/status/${conversationId}`).set(me.auth).expect(200);
    expect(after.body).toMatchObject({
      active: false,
      status: 'completed',
      aggregatedContent: [{ type: 'text', text: words(100, 's').join('') }],
    });
    await request(ctx().apiA).get('/api/agents/chat/active').set(me.auth).expect(200, { activeJobIds: [] });
  });

  it("answers 404 at once for a stranger's stream and for an unknown one", async () => {
    ctx().fake.script({ tokens: ['private'] });
    const { me, agent } = await newUserWithAgent();
    const stranger = await createUser(request(ctx().apiA));
    const started = await start(me, agent.id).expect(200);
    const t0 = Date.now();
    expect((await readSse(streamUrl(ctx().apiB, started.body.streamId), stranger.auth)).status).toBe(404);
    expect((await readSse(streamUrl(ctx().apiB, '00000000-0000-4000-8000-000000000000'), me.auth)).status).toBe(404);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await readSse(streamUrl(ctx().apiA, started.body.streamId), me.auth);
  });

  it('ends a stream that dies mid-way with one error event naming the cause, keeping the partial answer', async () => {
    ctx().fake.script({ tokens: words(20, 'p'), dropAfterTokens: 5 });
    const { me, agent } = await newUserWithAgent();
    const started = await start(me, agent.id).expect(200);
    const sse = await readSse(streamUrl(ctx().apiB, started.body.streamId), me.auth);
    const last = sse.frames[sse.frames.length - 1];
    expect(last.event).toBe('error');
    expect(terminals(sse.frames)).toHaveLength(1);
    expect(typeof last.data.error).toBe('string');
    expect(deltasText(sse.frames)).toBe(words(5, 'p').join(''));
    const status = await request(ctx().apiA)
      .get(`/api/agents/chat/status/${started.body.conversationId}`)
      .set(me.auth)
      .expect(200);
    expect(status.body).toMatchObject({ active: false, status: 'failed' });
    const stored = await request(ctx().apiA)
      .get(`/api/messages/${started.body.conversationId}`)
      .set(me.auth)
      .expect(200);
    expect(stored.body[1]).toMatchObject({ error: true, unfinished: true, text: words(5, 'p').join('') });
  });
}
