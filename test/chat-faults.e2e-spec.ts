import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createAgent, createUser, type TestUser } from './support/factories';
import type { FakeOpenAI, RecordedRequest } from './support/fake-openai';
import { startDeployment, type Deployment } from './support/deployment';
import type { RunningApi } from './support/process';
import { readSse, type SseFrame } from './support/sse';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

const text = (frames: SseFrame[]) =>
  frames
    .filter((f) => f.data.event === 'on_message_delta')
    .map((f) => f.data.data.delta.content[0].text as string)
    .join('');

/**
 * Faults in the distributed mode, with the built apps as child processes on real PostgreSQL and
 * Redis: a worker killed mid-stream, a worker asked to stop (drain, and the drain timeout), and an
 * api instance asked to stop while it serves a stream.
 */
describe('chat faults, distributed', () => {
  let deployment: Deployment;
  let fake: FakeOpenAI;
  let api1: RunningApi;
  let api2: RunningApi;

  /** Starts a worker and resolves once it takes jobs. */
  async function startWorker(extra: Record<string, string> = {}): Promise<RunningApi> {
    const worker = deployment.spawnWorker(extra);
    await until(() => worker.output().includes('Worker started'), 'the worker to start', 30_000);
    return worker;
  }

  beforeAll(async () => {
    deployment = await startDeployment({
      redis: 'chatFaults',
      apis: 2,
      workers: 0, // each test starts the workers it kills or stops
      env: {
        LOG_LEVEL: 'info', // the worker's "started" line tells when it takes jobs
        // A dead worker's job is noticed within ~2-6 s (lock, then two stalled checks); shorter locks
        // risk a busy CI machine failing a healthy worker's job.
        WORKER_LOCK_MS: '2000',
        SHUTDOWN_DRAIN_SECONDS: '10',
      },
    });
    ({ fake } = deployment);
    [api1, api2] = deployment.apis;
  }, 90_000);

  afterAll(() => deployment?.stop('SIGKILL'));

  const liveWorkers = () => deployment.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);

  /** Starts a chat whose message text is unique, so the provider request it causes can be found. */
  async function startChat(api: RunningApi, me: TestUser, agentId: string) {
    const prompt = `Question ${randomUUID()}`;
    const res = await request(api.baseUrl)
      .post('/api/agents/chat')
      .set(me.auth)
      .send({ agent_id: agentId, text: prompt })
      .expect(200);
    const providerCalls = (): RecordedRequest[] =>
      fake.requests.filter((r) => r.body?.messages?.some((m) => m.content === prompt));
    return { streamId: res.body.streamId as string, providerCalls };
  }

  async function statusOf(api: RunningApi, me: TestUser, conversationId: string) {
    return (await request(api.baseUrl).get(`/api/agents/chat/status/${conversationId}`).set(me.auth).expect(200))
      .body as { active: boolean; status?: string };
  }

  async function storedAnswer(api: RunningApi, me: TestUser, conversationId: string) {
    const res = await request(api.baseUrl).get(`/api/messages/${conversationId}`).set(me.auth).expect(200);
    const list = (Array.isArray(res.body) ? res.body : res.body.data) as Array<Record<string, unknown>>;
    return list.find((m) => m.isCreatedByUser === false);
  }

  async function activeOf(api: RunningApi, me: TestUser): Promise<string[]> {
    const res = await request(api.baseUrl).get('/api/agents/chat/active').set(me.auth).expect(200);
    return (res.body as { activeJobIds: string[] }).activeJobIds;
  }

  it('an abort sent while the job is still queued takes effect when a worker picks it up', async () => {
    expect(liveWorkers()).toHaveLength(0); // nobody consumes yet: the job waits in the queue
    const me = await createUser(request(api1.baseUrl));
    const agent = await createAgent(request(api1.baseUrl), me);
    const chat = await startChat(api1, me, agent.id);
    await request(api2.baseUrl)
      .post('/api/agents/chat/abort')
      .set(me.auth)
      .send({ conversationId: chat.streamId })
      .expect(200, { success: true, aborted: chat.streamId });
    const reading = readSse(`${api2.baseUrl}/api/agents/chat/stream/${chat.streamId}`, me.auth, { timeoutMs: 30_000 });
    await sleep(300);
    await startWorker({ SHUTDOWN_DRAIN_SECONDS: '1' });
    const sse = await reading;
    expect(sse.frames.filter((f) => f.event === 'error' || f.data.final)).toHaveLength(1);
    expect(sse.frames[sse.frames.length - 1].data).toMatchObject({
      final: true,
      aborted: true,
      responseMessage: { unfinished: true, error: false },
    });
    expect(chat.providerCalls()).toHaveLength(0); // stopped before the provider was called
    expect(await statusOf(api1, me, chat.streamId)).toMatchObject({ active: false, status: 'aborted' });
    await Promise.all(liveWorkers().map((w) => w.stop('SIGTERM'))); // the next test starts from none
  });

  it('a worker killed mid-stream: the stream ends with one error event, failed, never re-run', async () => {
    const workerA = await startWorker();
    const me = await createUser(request(api1.baseUrl));
    const agent = await createAgent(request(api1.baseUrl), me);
    const tokens = Array.from({ length: 200 }, (_, i) => `k${i} `);
    fake.script({ tokens, tokenDelayMs: 50 });
    const chat = await startChat(api1, me, agent.id);
    const reading = readSse(`${api1.baseUrl}/api/agents/chat/stream/${chat.streamId}`, me.auth, { timeoutMs: 30_000 });
    // Worker A is the only worker, so it holds the job; the survivor starts only now.
    await until(() => (chat.providerCalls()[0]?.tokensSent ?? 0) >= 3, 'the first tokens');
    await startWorker();
    expect(chat.providerCalls()[0].tokensSent).toBeLessThan(tokens.length); // still mid-stream

    const killedAt = Date.now();
    await workerA.stop('SIGKILL');
    const sse = await reading;
    const endedAfter = Date.now() - killedAt;

    expect(endedAfter).toBeLessThan(10_000); // lock 2 s + stalled checks every 2 s, with slack
    const last = sse.frames[sse.frames.length - 1];
    expect(last.event).toBe('error');
    expect(last.data).toEqual({ error: expect.any(String), responseMessage: expect.any(Object) });
    expect(sse.frames.filter((f) => f.event === 'error' || f.data.final)).toHaveLength(1);
    expect(new Set(sse.frames.map((f) => f.id)).size).toBe(sse.frames.length);
    const streamed = text(sse.frames);
    expect(streamed.length).toBeGreaterThan(0);
    expect(tokens.join('').startsWith(streamed)).toBe(true); // each token once, in order, none after a gap
    // What the user saw is kept: the conversation shows it, marked as failed, and so does the frame.
    const stored = await storedAnswer(api2, me, chat.streamId);
    expect(stored).toMatchObject({ text: streamed, unfinished: true, error: true });
    expect(last.data.responseMessage).toMatchObject({ text: streamed, unfinished: true, error: true });

    expect(await statusOf(api2, me, chat.streamId)).toMatchObject({ active: false, status: 'failed' });
    expect(await activeOf(api2, me)).toEqual([]);
    await sleep(2_500); // a re-run would call the provider again by now
    expect(chat.providerCalls()).toHaveLength(1);
  });

  it('SIGTERM on a worker drains: no new jobs, the running answer completes, exit 0', async () => {
    const [running] = liveWorkers();
    const me = await createUser(request(api1.baseUrl));
    const agent = await createAgent(request(api1.baseUrl), me);
    const tokens = Array.from({ length: 40 }, (_, i) => `d${i} `);
    fake.script({ tokens, tokenDelayMs: 60 });
    const first = await startChat(api1, me, agent.id);
    const reading = readSse(`${api2.baseUrl}/api/agents/chat/stream/${first.streamId}`, me.auth, {
      timeoutMs: 30_000,
    });
    await until(() => (first.providerCalls()[0]?.tokensSent ?? 0) >= 5, 'the first tokens');

    const stoppedAt = Date.now();
    const exited = running.stop('SIGTERM');
    await sleep(200); // the signal has reached it
    fake.script({ tokens: ['later'] });
    const second = await startChat(api1, me, agent.id);

    const sse = await reading;
    expect(sse.frames.filter((f) => f.data.final || f.event === 'error')).toHaveLength(1);
    expect(sse.frames[sse.frames.length - 1].data).toMatchObject({
      final: true,
      responseMessage: { text: tokens.join(''), unfinished: false },
    });
    expect(text(sse.frames)).toBe(tokens.join(''));
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000); // within SHUTDOWN_DRAIN_SECONDS
    expect(second.providerCalls()).toHaveLength(0); // the draining worker took no new job

    // The queued job waits for the next worker (this one drains within 1 s, for the next test).
    await startWorker({ SHUTDOWN_DRAIN_SECONDS: '1' });
    const later = await readSse(`${api1.baseUrl}/api/agents/chat/stream/${second.streamId}`, me.auth);
    expect(later.frames[later.frames.length - 1].data).toMatchObject({
      final: true,
      responseMessage: { text: 'later' },
    });
  });

  it('a generation that outlasts the drain timeout ends as failed, and the worker still exits 0', async () => {
    const [running] = liveWorkers();
    const me = await createUser(request(api1.baseUrl));
    const agent = await createAgent(request(api1.baseUrl), me);
    const tokens = Array.from({ length: 200 }, (_, i) => `s${i} `);
    fake.script({ tokens, tokenDelayMs: 100 });
    const chat = await startChat(api1, me, agent.id);
    const reading = readSse(`${api1.baseUrl}/api/agents/chat/stream/${chat.streamId}`, me.auth, {
      timeoutMs: 30_000,
    });
    await until(() => (chat.providerCalls()[0]?.tokensSent ?? 0) >= 3, 'the first tokens');

    const stoppedAt = Date.now();
    const exited = running.stop('SIGTERM');
    const sse = await reading;
    expect(Date.now() - stoppedAt).toBeLessThan(4_000); // drain 1 s, then ended at once
    const last = sse.frames[sse.frames.length - 1];
    expect(last.event).toBe('error');
    expect(last.data.error).toMatch(/shut down/);
    expect(sse.frames.filter((f) => f.data.final || f.event === 'error')).toHaveLength(1);
    // One truth: the stream said error, so the status says failed and the stored answer says error.
    expect(last.data.responseMessage).toMatchObject({ text: text(sse.frames), unfinished: true, error: true });
    expect(await storedAnswer(api2, me, chat.streamId)).toMatchObject({
      text: text(sse.frames),
      unfinished: true,
      error: true,
    });
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    // A planned cut-off is a warning, not an error (pino: level 50 and above).
    expect(running.output().match(/"level":(50|60)/g) ?? []).toEqual([]);
    expect(running.output()).toMatch(/"level":40.*ending them as failed/);
    expect(await statusOf(api2, me, chat.streamId)).toMatchObject({ active: false, status: 'failed' });
    expect(await activeOf(api2, me)).toEqual([]);
    // The provider call was cut, not left running.
    await chat.providerCalls()[0].clientClosed;
    expect(chat.providerCalls()[0].tokensSent).toBeLessThan(tokens.length);
  });

  it('SIGTERM on an api instance ends its SSE clients cleanly; they resume on the other with every token once', async () => {
    await startWorker();
    const me = await createUser(request(api2.baseUrl));
    const agent = await createAgent(request(api2.baseUrl), me);
    const tokens = Array.from({ length: 150 }, (_, i) => `r${i} `); // ~6 s: longer than the api may take to stop
    fake.script({ tokens, tokenDelayMs: 40 });
    const chat = await startChat(api2, me, agent.id);
    const path = `/api/agents/chat/stream/${chat.streamId}`;
    const reading = readSse(`${api1.baseUrl}${path}`, me.auth, { timeoutMs: 20_000 });
    await until(() => (chat.providerCalls()[0]?.tokensSent ?? 0) >= 10, 'some tokens');

    const stoppedAt = Date.now();
    const exited = api1.stop('SIGTERM');
    const first = await reading; // resolves on a clean end; a reset or a hang would reject
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    expect(first.frames.length).toBeGreaterThan(1);
    expect(first.frames.some((f) => f.event === 'error' || f.data.final)).toBe(false);
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(3_000); // promptly: not after the generation ends

    const rest = await readSse(`${api2.baseUrl}${path}`, {
      ...me.auth,
      'Last-Event-ID': first.frames[first.frames.length - 1].id!,
    });
    const all = [...first.frames, ...rest.frames];
    expect(new Set(all.map((f) => f.id)).size).toBe(all.length);
    expect(text(all)).toBe(tokens.join(''));
    expect(all[all.length - 1].data).toMatchObject({ final: true, responseMessage: { text: tokens.join('') } });
  });
});
