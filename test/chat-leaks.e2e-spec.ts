import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Redis from 'ioredis';
import { SseConnections } from '@agents/chat';
import { loadConfig } from '@agents/core';
import { EVENT_BUS, streamKeys, DEFAULT_KEY_PREFIX, type EventBus } from '@agents/streaming';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { suiteRedisUrl } from './support/redis';
import { readSse } from './support/sse';
import { TEST_JWT_SECRET, startTestApp, type TestApp } from './support/test-app';

/** A Redis database of its own, so the channels and keys below are this suite's alone. */
const redisUrl = suiteRedisUrl('chatLeaks');

const CYCLES = 1_000;
const WARM_UP_CYCLES = 300;
const PARALLEL = 25;
/**
 * Sockets and timers that may legitimately differ from the baseline: the api's and the worker's
 * PostgreSQL pools grow and shrink with load (each idle pooled client holds a socket and an idle
 * timer), and BullMQ keeps its own lock and stalled-check timers. A leak of what a client holds
 * would be per cycle — hundreds here, far past these.
 */
const SOCKET_SLACK = 3;
const TIMER_SLACK = 10;
/**
 * Retaining anything per cycle — a request/response pair with its socket and parser is well over
 * 10 KB, a subscription with its listener closures a few KB — would grow the heap by 10 MB or more
 * over 1,000 cycles; after a full GC the honest growth is the fake provider's request log and JIT
 * noise, a few MB at most.
 */
const HEAP_BOUND_BYTES = 8 * 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A full GC, without needing node --expose-gc on the command line. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

/** Polls until `check` holds or `ms` passed; the caller asserts afterwards. */
async function settle(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(20);
}

function resources(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((r) => r === 'TCPSocketWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
  };
}

/** Opens the stream with a keep-alive-free client and drops it after `abortAfterMs` (or when it ends). */
function openAndDrop(url: string, headers: Record<string, string>, abortAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => undefined);
    });
    const timer = setTimeout(() => req.destroy(), abortAfterMs);
    req.on('error', () => undefined); // the abort itself
    req.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * 1,000 SSE clients that connect and vanish at random moments of running and finished streams,
 * against the api with the Redis event bus (and a worker in the same process generating). After
 * they are gone, everything they held must be released: bus subscriptions and channels, Redis
 * connections and pub/sub subscriptions, sockets and timers, and memory.
 */
describe('chat SSE: no leaks over 1,000 connect/disconnect cycles', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let fake: FakeOpenAI;
  let redis: Redis;
  let bus: EventBus;
  let base: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const env = { REDIS_URL: redisUrl, OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test' };
    t = await startTestApp(env);
    worker = await NestFactory.createApplicationContext(
      WorkerModule.forRoot(
        loadConfig({ ...env, DATABASE_URL: t.databaseUrl, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent' }),
      ),
      { logger: false },
    );
    redis = new Redis(redisUrl);
    bus = t.app.get<EventBus>(EVENT_BUS);
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await redis?.quit();
    await fake?.close();
  });

  async function clientsInOurDb(): Promise<number> {
    const list = (await redis.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` db=${new URL(redisUrl).pathname.slice(1)} `)).length;
  }

  async function startStream(me: TestUser, agentId: string): Promise<string> {
    const res = await t.http.post('/api/agents/chat').set(me.auth).send({ agent_id: agentId, text: 'Go' }).expect(200);
    return res.body.streamId as string;
  }

  const streamUrl = (streamId: string) => `${base}/api/agents/chat/stream/${streamId}`;

  it('returns to the baseline', async () => {
    /** `count` clients, PARALLEL at a time, each on a random stream, dropped after 0–20 ms. */
    const cycles = async (count: number, streams: { id: string; user: TestUser }[]): Promise<number> => {
      let started = 0;
      const client = async (): Promise<void> => {
        while (started < count) {
          started += 1;
          const stream = streams[Math.floor(Math.random() * streams.length)];
          await openAndDrop(streamUrl(stream.id), stream.user.auth, Math.floor(Math.random() * 21));
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, client));
      return started;
    };

    // Warm up: a whole answer read to the end, and a few hundred dropped clients, so connection
    // pools, lazily opened connections and the JIT are at their working state before the baseline.
    const warm = await createUser(t.http);
    const warmAgent = await createAgent(t.http, warm);
    fake.script({ tokens: ['warm', ' up'] });
    const warmStream = await startStream(warm, warmAgent.id);
    expect((await readSse(streamUrl(warmStream), warm.auth)).frames.pop()?.data).toMatchObject({ final: true });
    await cycles(WARM_UP_CYCLES, [{ id: warmStream, user: warm }]);
    // A dropped client's request may still be in flight on the server (auth, ownership check).
    await settle(() => bus.stats().subscriptions === 0, 3_000);

    const baseline = {
      stats: bus.stats(),
      clients: await clientsInOurDb(),
      resources: resources(),
      heap: await heapAfterGc(),
    };
    expect(baseline.stats).toEqual({ subscriptions: 0, controlListeners: 0, channels: 0 });

    // Two finished streams and three running ones (~8 s each), one user each.
    const streams: { id: string; user: TestUser; tokens: string[] }[] = [];
    for (let i = 0; i < 5; i += 1) {
      const user = await createUser(t.http);
      const agent = await createAgent(t.http, user);
      const running = i >= 2;
      const tokens = Array.from({ length: running ? 320 : 20 }, (_, n) => `s${i}t${n} `);
      fake.script({ tokens, tokenDelayMs: running ? 25 : 0 });
      const id = await startStream(user, agent.id);
      if (!running) await readSse(streamUrl(id), user.auth);
      streams.push({ id, user, tokens });
    }

    const t0 = Date.now();
    expect(await cycles(CYCLES, streams)).toBe(CYCLES);
    const cyclesMs = Date.now() - t0;

    // Every client is gone, so nothing of theirs may be held — even though three streams still run.
    const connections = t.app.get(SseConnections);
    await settle(() => bus.stats().subscriptions === 0 && connections.size === 0, 4_000);
    expect({
      subscriptions: bus.stats().subscriptions,
      channels: bus.stats().channels,
      open: connections.size,
    }).toEqual({
      subscriptions: 0,
      channels: 0,
      open: 0,
    });
    const stillRunning = await t.http.get(`/api/agents/chat/status/${streams[4].id}`).set(streams[4].user.auth);
    expect(stillRunning.body.status).toBe('running'); // the check above ran mid-stream

    // The running streams were not disturbed: each still ends with its whole answer.
    for (const stream of streams) {
      const sse = await readSse(streamUrl(stream.id), stream.user.auth, { timeoutMs: 20_000 });
      const final = sse.frames[sse.frames.length - 1].data;
      expect(final).toMatchObject({ final: true, responseMessage: { text: stream.tokens.join('') } });
    }

    // The readers above used the global keep-alive agent: its idle sockets are the test's, not the app's.
    http.globalAgent.destroy();
    // Everything is released within a moment of the last client leaving.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const now = resources();
      if (
        bus.stats().subscriptions === 0 &&
        bus.stats().channels === 0 &&
        now.sockets <= baseline.resources.sockets + SOCKET_SLACK &&
        now.timers <= baseline.resources.timers + TIMER_SLACK
      )
        break;
      await sleep(50);
    }
    expect(bus.stats()).toEqual(baseline.stats);
    expect(t.app.get(SseConnections).size).toBe(0);
    expect(await clientsInOurDb()).toBe(baseline.clients);
    const channels = streams.flatMap((s) => {
      const keys = streamKeys(DEFAULT_KEY_PREFIX, s.id);
      return [keys.live, keys.control];
    });
    const numsub = (await redis.pubsub('NUMSUB', ...channels)) as (string | number)[];
    expect(numsub.filter((_, i) => i % 2 === 1).map(Number)).toEqual(channels.map(() => 0));
    for (const stream of streams) {
      expect(await redis.pubsub('CHANNELS', `${DEFAULT_KEY_PREFIX}:{${stream.id}}:*`)).toEqual([]);
    }
    const after = resources();
    expect(after.sockets).toBeLessThanOrEqual(baseline.resources.sockets + SOCKET_SLACK);
    expect(after.timers).toBeLessThanOrEqual(baseline.resources.timers + TIMER_SLACK);
    const growth = (await heapAfterGc()) - baseline.heap;
    expect(growth).toBeLessThan(HEAP_BOUND_BYTES);
    // Visible in the test output, to keep the bound honest over time.
    process.stdout.write(
      `leak test: ${CYCLES} cycles in ${cyclesMs} ms; heap growth ${(growth / 1024 / 1024).toFixed(2)} MB; ` +
        `sockets ${baseline.resources.sockets}→${after.sockets}, timers ${baseline.resources.timers}→${after.timers}\n`,
    );
  });
});
