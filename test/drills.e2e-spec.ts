import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { startDeployment, type Deployment } from './support/deployment';
import { createAgent, createUser, type TestUser } from './support/factories';
import type { RunningApi } from './support/process';
import { startOwnedRedis, type OwnedRedis } from './support/redis-server';
import { readSse, type SseFrame, type SseResult } from './support/sse';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}

const streamedText = (frames: SseFrame[]) =>
  frames
    .filter((f) => f.data.event === 'on_message_delta')
    .map((f) => f.data.data.delta.content[0].text as string)
    .join('');
const isTerminal = (f: SseFrame) => f.event === 'error' || f.data.final === true;

/** Exactly one terminal frame, and it is the last one. */
function expectOneTerminalLast(sse: SseResult): SseFrame {
  expect(sse.frames.filter(isTerminal)).toHaveLength(1);
  const last = sse.frames[sse.frames.length - 1];
  expect(isTerminal(last)).toBe(true);
  return last;
}

/**
 * Fault drills on the distributed topology as deployed: two api instances and two workers as
 * processes, a Redis server this suite owns (so it can kill it) and a PostgreSQL database of its own.
 * Whatever the fault, every stream ends with exactly one terminal frame, nothing is stored that the
 * stream contradicts, no process dies, and no channel outlives its stream.
 */
describe('fault drills, distributed', () => {
  let redis: OwnedRedis;
  let deployment: Deployment;
  let api1: RunningApi;
  let api2: RunningApi;
  let me: TestUser;
  let agentId: string;

  beforeAll(async () => {
    redis = await startOwnedRedis();
    deployment = await startDeployment({
      redis: { url: redis.url },
      apis: 2,
      workers: 2,
      env: { WORKER_LOCK_MS: '2000', LOG_LEVEL: 'warn', MAX_CONCURRENT_GENERATIONS: '50' },
    });
    [api1, api2] = deployment.apis;
    me = await createUser(request(api1.baseUrl));
    agentId = (await createAgent(request(api1.baseUrl), me)).id;
  }, 120_000);

  afterAll(async () => {
    await deployment?.stop('SIGKILL');
    await redis?.stop();
  });

  const processes = () => [...deployment.apis, ...deployment.workers];
  const expectAllAlive = () =>
    expect(processes().map((p) => ({ exitCode: p.child.exitCode, signal: p.child.signalCode }))).toEqual(
      processes().map(() => ({ exitCode: null, signal: null })),
    );

  function startChat(api: RunningApi, text: string, headers: Record<string, string> = {}) {
    return request(api.baseUrl).post('/api/agents/chat').set(me.auth).set(headers).send({ agent_id: agentId, text });
  }

  async function storedMessage(conversationId: string, messageId: string) {
    const res = await request(api2.baseUrl).get(`/api/messages/${conversationId}`).set(me.auth).expect(200);
    const list = (Array.isArray(res.body) ? res.body : res.body.data) as Array<{ messageId: string }>;
    return list.find((m) => m.messageId === messageId) as
      { text: string; error: boolean; unfinished: boolean } | undefined;
  }

  it('Redis killed mid-stream and restarted empty: one terminal frame per stream, stored = streamed, no leaked channel', async () => {
    const tokens = Array.from({ length: 80 }, (_, i) => `o${i} `); // ~6 s: outlives the outage
    deployment.fake.setDefault({ tokens, tokenDelayMs: 75 });
    const chats = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const res = await startChat(i % 2 ? api2 : api1, `Outage ${i}`).expect(200);
        const { streamId, responseMessageId } = res.body as { streamId: string; responseMessageId: string };
        const frames: SseFrame[] = [];
        const reading = readSse(`${(i % 2 ? api1 : api2).baseUrl}/api/agents/chat/stream/${streamId}`, me.auth, {
          timeoutMs: 40_000,
          onFrame: (frame) => frames.push(frame),
        });
        return { streamId, responseMessageId, frames, reading };
      }),
    );
    await until(() => chats.every((c) => streamedText(c.frames).length >= 6), 'every stream to have tokens');

    await redis.kill();
    await sleep(2_500);
    await redis.start();
    const results = await Promise.all(chats.map((c) => c.reading));

    for (const [i, sse] of results.entries()) {
      const chat = chats[i];
      const last = expectOneTerminalLast(sse);
      expect(last.event).toBe('error'); // the answer was cut by the outage: said so, never a silent close
      expect(last.data.error).toEqual(expect.any(String));
      expect(new Set(sse.frames.filter((f) => f.id).map((f) => f.id)).size).toBe(sse.frames.filter((f) => f.id).length);
      // What is stored is what was published: the client saw a prefix of it (pub/sub may have lost
      // the last events in flight when Redis died), and it is a prefix of what the provider sent.
      await until(async () => (await storedMessage(chat.streamId, chat.responseMessageId)) !== undefined, 'the answer');
      const stored = (await storedMessage(chat.streamId, chat.responseMessageId))!;
      expect(stored).toMatchObject({ error: true, unfinished: true });
      expect(stored.text.startsWith(streamedText(sse.frames))).toBe(true);
      expect(tokens.join('').startsWith(stored.text)).toBe(true);
      expect(stored.text.length).toBeGreaterThan(0);

      // A reconnect after the outage learns how the stream ended: never a 404 or a hang.
      const lastSeen = [...sse.frames].reverse().find((f) => f.id && !isTerminal(f));
      const again = await readSse(`${api1.baseUrl}/api/agents/chat/stream/${chat.streamId}`, {
        ...me.auth,
        'Last-Event-ID': lastSeen!.id!,
      });
      expect(again.status).toBe(200);
      const end = expectOneTerminalLast(again);
      expect(end).toMatchObject({ event: 'error', data: { responseMessage: { text: stored.text, error: true } } });
    }

    expectAllAlive();
    // Nothing outlives its stream: no pub/sub channel (live or control) is left subscribed.
    const inspector = redis.client();
    await until(async () => (await inspector.pubsub('CHANNELS', '*')).length === 0, 'no subscribed channel', 10_000);

    // And the deployment serves again: a new chat runs to its final.
    deployment.fake.setDefault({ tokens: ['back', ' again'] });
    const after = await startChat(api1, 'After the outage').expect(200);
    const sse = await readSse(`${api2.baseUrl}/api/agents/chat/stream/${after.body.streamId}`, me.auth);
    expect(expectOneTerminalLast(sse).data).toMatchObject({ final: true, responseMessage: { text: 'back again' } });
  }, 90_000);

  /**
   * Every backend of the database is terminated this often. At 120 ms (the first setting) this
   * machine's PostgreSQL (15.20, 2 vCPUs) spent most of each period replacing the pools'
   * connections, and starts, releases and stores failed for many seconds in a row on the code of
   * before and after 30 Nov alike; at 400 ms every connection is still cut several times per chat.
   */
  const STORM_INTERVAL_MS = 400;

  it('PostgreSQL backends terminated in a storm while 20 chats start: no process dies, every started chat completes', async () => {
    deployment.fake.setDefault({ tokens: Array.from({ length: 10 }, (_, i) => `p${i} `), tokenDelayMs: 30 });
    const database = new URL(deployment.env.DATABASE_URL).pathname.slice(1);
    const admin = new Client({ connectionString: deployment.env.DATABASE_URL });
    await admin.connect();
    let storming = true;
    let terminated = 0;
    const storm = (async () => {
      while (storming) {
        const res = await admin.query<{ ok: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [database],
        );
        terminated += res.rows.filter((r) => r.ok).length;
        await sleep(STORM_INTERVAL_MS);
      }
    })();

    try {
      // Each client retries a refused start with the same Idempotency-Key, as a client should: a
      // 503 while its connection was cut, or a 409 while the key's earlier attempt is still held
      // (its release lost its connection too, until the claim counts as abandoned). One message
      // and one generation whatever happens.
      const started = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const key = randomUUID();
          for (let attempt = 0; ; attempt++) {
            const res = await startChat(i % 2 ? api2 : api1, `Storm ${i}`, { 'Idempotency-Key': key });
            if (res.status === 200) return res.body as { streamId: string; responseMessageId: string };
            if (res.status !== 503 && res.status !== 409) {
              throw new Error(`start ${i}, attempt ${attempt}: ${res.status} ${JSON.stringify(res.body)}`);
            }
            if (attempt >= 60)
              throw new Error(`start ${i} still refused after ${attempt} retries: ${JSON.stringify(res.body)}`);
            await sleep(150);
          }
        }),
      );
      // Readers, too, retry what the api refuses with 503 (a read that kept losing its connection).
      const ends = await Promise.all(
        started.map(async (chat, i) => {
          for (let attempt = 0; ; attempt++) {
            const url = `${(i % 2 ? api1 : api2).baseUrl}/api/agents/chat/stream/${chat.streamId}`;
            const sse = await readSse(url, me.auth, { timeoutMs: 40_000 });
            if (sse.status !== 503 || attempt >= 20) return sse;
            await sleep(150);
          }
        }),
      );
      storming = false;
      await storm;
      expect(terminated).toBeGreaterThan(0);
      for (const [i, sse] of ends.entries()) {
        expect({ chat: i, status: sse.status }).toEqual({ chat: i, status: 200 });
        const last = expectOneTerminalLast(sse);
        expect({ chat: i, last: last.data }).toMatchObject({
          last: { final: true, responseMessage: { text: streamedText(sse.frames), error: false } },
        });
        const stored = await storedMessage(started[i].streamId, started[i].responseMessageId);
        expect(stored).toMatchObject({ text: streamedText(sse.frames), error: false, unfinished: false });
      }
      expectAllAlive();
    } finally {
      storming = false;
      await storm.catch(() => undefined);
      await admin.end();
    }
  }, 120_000);
});
