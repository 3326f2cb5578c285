/**
 * Benchmark of chat streaming through the service (issue 4). A stand-in provider emits tokens at a
 * fixed pace; the same client measures them through the service (the built api and worker as child
 * processes, real PostgreSQL and Redis) and straight from the stand-in (the baseline), in the same
 * run, at 1, 100 and 500 concurrent streams, then searches for the most streams held. See
 * bench/README.md. Run with `npm run bench:streaming` after `npm run build`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { Client } from 'pg';
import { startFakeOpenAI, type FakeRequestBody, type FakeScript } from '../test/support/fake-openai';
import { freePort, spawnApi, spawnWorker, waitFor, type RunningApi } from '../test/support/process';

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Without a db number: the bench picks an empty database number of this server and flushes it at the end. */
const REDIS_SERVER_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Writes V8 CPU profiles of the api and the worker to bench/.results/profiles (for investigating). */
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE === '1';
/** A comma-separated list of numbers from the environment, or the default. */
function numbersFromEnv(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name];
  return raw ? raw.split(',').map((v) => Number(v.trim())) : [...fallback];
}

/** BENCH_TOKENS changes it (e.g. to split a stream's CPU cost into a per-stream and a per-token part). */
const TOKENS_PER_STREAM = Number(process.env.BENCH_TOKENS ?? 40);
/** 20 tokens/s per stream. The stand-in also waits this long before the first token. */
export const TOKEN_INTERVAL_MS = 50;
export const STREAM_MS = TOKENS_PER_STREAM * TOKEN_INTERVAL_MS;
/** The levels reported in the main table. */
const LEVELS = numbersFromEnv('BENCH_LEVELS', [1, 100, 500]);
/** Step search for the most streams held, upwards from 500 (or downwards when 500 is not held). */
const SEARCH_UP = [750, 1000, 1250, 1500, 2000];
const SEARCH_DOWN = [400, 300, 200, 100];
/** BENCH_SEARCH=0 skips the search (for quick experiments with BENCH_LEVELS). */
const SEARCH = process.env.BENCH_SEARCH !== '0';
/** The search stops taking new steps after this long, so the whole bench stays within a few minutes. */
const SEARCH_BUDGET_MS = 180_000;
/** Open SSE connections for the memory measurement. */
/** BENCH_MEMORY_STREAMS=0 skips the memory measurement. */
const MEMORY_STREAMS = Number(process.env.BENCH_MEMORY_STREAMS ?? 1000);
/** How long the stand-in keeps an "idle" stream silent (they are aborted long before). */
const IDLE_HOLD_MS = 45_000;
/** The per-user limit of running generations is at most 100; each bench user holds at most this many. */
const STREAMS_PER_USER = 50;
const MAX_STREAMS = Math.max(...SEARCH_UP, MEMORY_STREAMS, ...LEVELS);
const USERS = Math.ceil(MAX_STREAMS / STREAMS_PER_USER);
export const STREAM_TIMEOUT_MS = 60_000;
/** Consecutive streams each client runs at a level: enough samples at 1, a steady plateau at N. */
const roundsAt = (streams: number): number => (streams === 1 ? 10 : streams <= 100 ? 4 : 3);
const HELD_ITL_P99_MS = 50;
/** … and the service reached at least this share of the baseline's peak concurrency and tokens/s. */
const HELD_MIN_SHARE = 0.9;
/** Before each phase: wait for the machine to be below this busy % (of one core) … */
const QUIET_MAX_BUSY = 30;
/** … but no longer than this; the phase then runs anyway and the table shows how busy others kept the machine. */
const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT_MS ?? 15_000);
const TTFT_TARGET = { streams: 100, addedP50Ms: 15 };
const HELD_TARGET = 500;
const RESULTS_FILE = join(__dirname, '.results', 'streaming.json');
const STAND_IN_FLAG = '--stand-in';

// ---------------------------------------------------------------------------------------------
// The stand-in provider (a child process, so its CPU is not the client's)
// ---------------------------------------------------------------------------------------------

/** The tokens the stand-in sends for a stream tag: unique, so a lost or repeated one is visible. */
export function tokensFor(tag: string): string[] {
  return Array.from({ length: TOKENS_PER_STREAM }, (_, i) => `${tag}:${i} `);
}

export function promptFor(tag: string, mode: 'stream' | 'idle'): string {
  return `bench ${tag} ${mode}`;
}

/** Wall-clock time (ms, sub-ms precision, comparable across processes) of this process's clock. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** In the stand-in: when the request of each stream tag arrived (the worker's provider call). */
const arrivals = new Map<string, number>();

/** The stand-in's script for one request, read from the last user message (`bench <tag> <mode>`). */
function scriptFor(body: FakeRequestBody): FakeScript {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  const match = typeof last?.content === 'string' ? /^bench (\S+) (stream|idle)$/.exec(last.content) : null;
  if (!match) return { tokens: ['Hello', ' world'] };
  const [, tag, mode] = match;
  arrivals.set(tag, wallNow());
  return {
    tokens: tokensFor(tag),
    firstTokenDelayMs: mode === 'idle' ? IDLE_HOLD_MS : TOKEN_INTERVAL_MS,
    tokenDelayMs: TOKEN_INTERVAL_MS,
  };
}

async function runStandIn(): Promise<void> {
  // The stand-in adds an abort listener per open request to one shutdown signal; thousands are expected.
  setMaxListeners(0);
  const fake = await startFakeOpenAI({ defaultScript: scriptFor });
  // Its request log would grow by one entry per stream; nothing reads it here.
  setInterval(() => fake.requests.splice(0), 5_000).unref();
  process.on('message', (message) => {
    if (message === 'close') void fake.close().finally(() => process.exit(0));
    if (message === 'arrivals') {
      process.send?.({ arrivals: [...arrivals] });
      arrivals.clear();
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ baseURL: fake.baseURL });
}

export interface StandIn {
  baseURL: string;
  child: ChildProcess;
  /** When each stream's provider request reached the stand-in since the last call (wall clock, ms). */
  arrivals: () => Promise<Map<string, number>>;
  close: () => Promise<void>;
}

export function startStandIn(): Promise<StandIn> {
  const child = fork(__filename, [STAND_IN_FLAG], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the stand-in exited with ${code} before it started`)));
    child.once('message', (message: { baseURL: string }) =>
      resolve({
        baseURL: message.baseURL,
        child,
        arrivals: () =>
          new Promise((resolveArrivals) => {
            const onMessage = (reply: { arrivals?: [string, number][] }): void => {
              if (!reply.arrivals) return;
              child.off('message', onMessage);
              resolveArrivals(new Map(reply.arrivals));
            };
            child.on('message', onMessage);
            child.send('arrivals');
          }),
        close: async () => {
          if (child.exitCode === null && child.connected) child.send('close');
          await Promise.race([exited, sleep(5_000)]);
          if (child.exitCode === null) child.kill('SIGKILL');
        },
      }),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP client: one keep-alive agent without a socket limit, a small SSE parser
// ---------------------------------------------------------------------------------------------

export const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });

interface JsonResponse {
  status: number;
  body: any;
}

export function requestJson(
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

/**
 * Sends a request and reads its body as Server-Sent Events. Every frame is stamped with the time
 * its chunk arrived. Resolves with the HTTP status when the response ends, is cut, or times out.
 */
function readSse(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; timeoutMs?: number },
  onFrame: (frame: SseFrame, at: number) => void,
  onComment?: (comment: string, at: number) => void,
): Promise<{ status: number; error?: string }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: { status: number; error?: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        agent,
        headers: { ...options.headers, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          res.on('close', () => settle({ status, error: `HTTP ${status}` }));
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const frame: SseFrame = { event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) onComment?.(line.slice(1).trim(), at);
              else if (line.startsWith('data: ')) frame.data += line.slice(6);
              else if (line.startsWith('event: ')) frame.event = line.slice(7);
              else if (line.startsWith('id: ')) frame.id = line.slice(4);
            }
            if (frame.data) onFrame(frame, at);
          }
        });
        res.on('close', () => settle({ status, error: res.complete ? undefined : 'response cut' }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      settle({ status: 0, error: 'timed out' });
    }, options.timeoutMs ?? STREAM_TIMEOUT_MS);
    req.on('error', (err) => settle({ status: 0, error: err.message }));
    req.end(payload);
  });
}

// ---------------------------------------------------------------------------------------------
// One stream, through the service or straight from the stand-in
// ---------------------------------------------------------------------------------------------

export interface StreamSample {
  tag: string;
  /** Wall-clock time of the request start, to compare with the stand-in's arrival times. */
  startedWall: number;
  /** Service only: request start → the worker's provider request reached the stand-in. */
  providerMs?: number;
  error?: string;
  /** Request start → first content token. */
  ttftMs?: number;
  /** Service only: POST answered, first SSE frame (`created`), `on_run_step`; all from the request start. */
  postMs?: number;
  createdMs?: number;
  runStepMs?: number;
  /** Gaps between consecutive content tokens. */
  gaps: number[];
  tokens: number;
  lost: number;
  duplicated: number;
  /** The assembled text differs from what the stand-in sent (lost, repeated or out of order). */
  textMismatch: boolean;
  /** Service only: the stored answer in the `final` frame differs from what the stand-in sent. */
  finalMismatch: boolean;
  firstTokenAt?: number;
  lastTokenAt?: number;
}

export function compareTokens(expected: string[], received: string[]): Pick<StreamSample, 'lost' | 'duplicated'> {
  const counts = new Map<string, number>();
  for (const token of received) counts.set(token, (counts.get(token) ?? 0) + 1);
  const wanted = new Set(expected);
  let duplicated = 0;
  for (const [token, count] of counts) duplicated += wanted.has(token) ? count - 1 : count;
  return { lost: expected.filter((t) => !counts.has(t)).length, duplicated };
}

export interface Recorder {
  tag: string;
  startedWall: number;
  start: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  gaps: number[];
  received: string[];
}

export function onToken(r: Recorder, text: string, at: number): void {
  if (r.lastTokenAt !== undefined) r.gaps.push(at - r.lastTokenAt);
  else r.firstTokenAt = at;
  r.lastTokenAt = at;
  r.received.push(text);
}

export function sampleOf(r: Recorder, expected: string[], extra: Partial<StreamSample>): StreamSample {
  return {
    tag: r.tag,
    startedWall: r.startedWall,
    ...extra,
    ttftMs: r.firstTokenAt === undefined ? undefined : r.firstTokenAt - r.start,
    gaps: r.gaps,
    tokens: r.received.length,
    ...compareTokens(expected, r.received),
    textMismatch: r.received.join('') !== expected.join(''),
    finalMismatch: extra.finalMismatch ?? false,
    firstTokenAt: r.firstTokenAt,
    lastTokenAt: r.lastTokenAt,
  };
}

export interface BenchUser {
  auth: Record<string, string>;
  agentId: string;
}

/** POST /api/agents/chat, then the SSE stream opened as soon as the POST answers. */
async function serviceStream(apiUrl: string, user: BenchUser, tag: string): Promise<StreamSample> {
  const expected = tokensFor(tag);
  const r: Recorder = { tag, startedWall: wallNow(), start: performance.now(), gaps: [], received: [] };
  const started = await requestJson(
    `${apiUrl}/api/agents/chat`,
    'POST',
    { agent_id: user.agentId, text: promptFor(tag, 'stream') },
    user.auth,
  );
  const postMs = performance.now() - r.start;
  if (started.status !== 200) {
    return sampleOf(r, expected, { error: `POST ${started.status} ${JSON.stringify(started.body)}`, postMs });
  }
  let createdMs: number | undefined;
  let runStepMs: number | undefined;
  let finalText: string | undefined;
  let streamError: string | undefined;
  const read = await readSse(
    `${apiUrl}/api/agents/chat/stream/${started.body.streamId}`,
    { headers: user.auth },
    (frame, at) => {
      const payload = JSON.parse(frame.data);
      if (frame.event === 'error') streamError = String(payload.error);
      else if (payload.event === 'on_message_delta') onToken(r, payload.data.delta.content[0].text, at);
      else if (payload.created) createdMs ??= at - r.start;
      else if (payload.event === 'on_run_step') runStepMs ??= at - r.start;
      else if (payload.final) finalText = payload.responseMessage?.text;
    },
  );
  const error = streamError ?? read.error ?? (finalText === undefined ? 'no final frame' : undefined);
  return sampleOf(r, expected, {
    error,
    postMs,
    createdMs,
    runStepMs,
    finalMismatch: finalText !== expected.join(''),
  });
}

/** The baseline: the same request shape straight to the stand-in's chat completions. */
async function directStream(standInUrl: string, tag: string): Promise<StreamSample> {
  const expected = tokensFor(tag);
  const r: Recorder = { tag, startedWall: wallNow(), start: performance.now(), gaps: [], received: [] };
  let done = false;
  const read = await readSse(
    `${standInUrl}/chat/completions`,
    {
      method: 'POST',
      headers: { Authorization: 'Bearer sk-bench' },
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: promptFor(tag, 'stream') }], stream: true },
    },
    (frame, at) => {
      if (frame.data === '[DONE]') {
        done = true;
        return;
      }
      const content = JSON.parse(frame.data).choices?.[0]?.delta?.content;
      if (typeof content === 'string' && content !== '') onToken(r, content, at);
    },
  );
  return sampleOf(r, expected, { error: read.error ?? (done ? undefined : 'no [DONE]') });
}

// ---------------------------------------------------------------------------------------------
// Measuring: percentiles, CPU of every process involved, memory
// ---------------------------------------------------------------------------------------------

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export function stats(values: number[]): Stats {
  if (values.length === 0) return { n: 0, p50: NaN, p99: NaN, mean: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const sum = sorted.reduce((s, v) => s + v, 0);
  return { n: sorted.length, p50: at(50), p99: at(99), mean: sum / sorted.length, max: sorted[sorted.length - 1] };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process in clock ticks, or null when it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine. */
function machineTicks(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const numbers = values.map(Number);
  const total = numbers.reduce((s, v) => s + v, 0);
  const idle = numbers[3] + (numbers[4] ?? 0);
  return { busy: total - idle, total };
}

interface Watched {
  name: string;
  pids: () => number[] | Promise<number[]>;
}

interface CpuSnapshot {
  at: number;
  ticks: Map<string, Map<number, number>>;
  client: NodeJS.CpuUsage;
  machine: { busy: number; total: number };
}

/** CPU use during a phase. */
export interface CpuReport {
  /** % of one core per process (the machine has cpuCount() × 100 %); `client` is this process. */
  percent: Record<string, number>;
  /** CPU milliseconds per process. */
  ms: Record<string, number>;
  /** The whole machine, and what was left for processes that are not the bench's (other people's work). */
  machine: number;
  others: number;
  clientLoopP99Ms: number;
  clientLoopMaxMs: number;
}

/** Reads the CPU time of the service's processes, this client and the machine around a phase. */
export class CpuMeter {
  private readonly loop = monitorEventLoopDelay({ resolution: 5 });
  constructor(private readonly watched: Watched[]) {
    this.loop.enable();
  }

  /** Starts a measurement: reads every counter and resets the client's event-loop delay histogram. */
  async snapshot(): Promise<CpuSnapshot> {
    const snapshot = await this.read();
    this.loop.reset();
    return snapshot;
  }

  private async read(): Promise<CpuSnapshot> {
    const ticks = new Map<string, Map<number, number>>();
    for (const w of this.watched) {
      const own = new Map<number, number>();
      for (const pid of await w.pids()) {
        const t = cpuTicks(pid);
        if (t !== null) own.set(pid, t);
      }
      ticks.set(w.name, own);
    }
    return { at: performance.now(), ticks, client: process.cpuUsage(), machine: machineTicks() };
  }

  async since(before: CpuSnapshot): Promise<CpuReport> {
    const after = await this.read();
    const seconds = (after.at - before.at) / 1000;
    const ms: Record<string, number> = {};
    for (const w of this.watched) {
      let ticks = 0;
      // A process that appeared meanwhile (a pool connection's backend) counts from zero; one that
      // ended meanwhile is missed.
      for (const [pid, a] of after.ticks.get(w.name) ?? []) ticks += a - (before.ticks.get(w.name)?.get(pid) ?? 0);
      ms[w.name] = (ticks * 1000) / CLOCK_TICKS;
    }
    const client = process.cpuUsage(before.client);
    ms.client = (client.user + client.system) / 1000;
    const percent = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v / seconds / 10)]));
    const machine = Math.round(
      ((after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total)) * 100 * cpuCount(),
    );
    const ours = Object.values(percent).reduce((s, v) => s + v, 0);
    return {
      percent,
      ms,
      machine,
      others: Math.max(0, machine - ours),
      clientLoopP99Ms: Math.round(this.loop.percentile(99) / 1e5) / 10,
      clientLoopMaxMs: Math.round(this.loop.max / 1e5) / 10,
    };
  }
}

/** % of one core the whole machine is busy with over `ms`. */
async function machineBusy(ms: number): Promise<number> {
  const a = machineTicks();
  await sleep(ms);
  const b = machineTicks();
  return ((b.busy - a.busy) / (b.total - a.total)) * 100 * cpuCount();
}

/**
 * Waits (up to QUIET_WAIT_MS) until the machine is nearly idle between phases, so that other
 * people's builds and tests on a shared box do not decide the numbers. Returns how long it waited
 * and the last reading.
 */
export async function waitForQuiet(): Promise<{ waitedMs: number; busy: number }> {
  const t0 = performance.now();
  let busy = await machineBusy(1_000);
  while (busy > QUIET_MAX_BUSY && performance.now() - t0 < QUIET_WAIT_MS) busy = await machineBusy(1_000);
  return { waitedMs: Math.round(performance.now() - t0), busy: Math.round(busy) };
}

export function cpuCount(): number {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l)).length;
}

function vmRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/** The median of a few RSS readings, so one GC does not decide the result. */
async function steadyRssKb(pid: number, samples = 7, everyMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(vmRssKb(pid));
    await sleep(everyMs);
  }
  return stats(values).p50;
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pooled<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index], index);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------------------------

interface PhaseResult {
  mode: 'service' | 'direct';
  streams: number;
  rounds: number;
  samples: number;
  wallMs: number;
  ttft: Stats;
  itl: Stats;
  /** Service only: where the time to first token goes (from the request start). */
  post?: Stats;
  created?: Stats;
  runStep?: Stats;
  provider?: Stats;
  tokens: number;
  tokensPerSecond: number;
  /** The most streams receiving tokens at the same moment. */
  peakConcurrent: number;
  lost: number;
  duplicated: number;
  textMismatches: number;
  finalMismatches: number;
  errors: number;
  errorExamples: string[];
  /** Fewer streams than streams × rounds: the phase hit its deadline. */
  cutShort: boolean;
  /** How long the phase waited for a quiet machine, and how busy it was when it started. */
  quiet: { waitedMs: number; busy: number };
  cpu: CpuReport;
  /** CPU milliseconds per stream, per process: the cost of a stream whatever the machine's load. */
  cpuMsPerStream: Record<string, number>;
  /** CPU profiles of the api and the worker during this phase (BENCH_CPU_PROFILE=1). */
  profiles?: string[];
}

let phaseCounter = 0;

/**
 * `streams` clients, each running `rounds` streams one after the other; client i starts at
 * i/streams of a stream's length, so the streams open evenly and `streams` are held at once
 * after the first stream length.
 */
async function runPhase(
  mode: 'service' | 'direct',
  streams: number,
  meter: CpuMeter,
  one: (client: number, tag: string) => Promise<StreamSample>,
  options: { quiet?: boolean; standIn?: StandIn; profile?: Bench['profile'] } = {},
): Promise<PhaseResult> {
  const rounds = roundsAt(streams);
  const phase = `p${++phaseCounter}`;
  const quiet = options.quiet === false ? { waitedMs: 0, busy: NaN } : await waitForQuiet();
  // Past this, clients start no further round, so an overloaded level cannot hold the bench for long.
  const deadline = performance.now() + STREAM_MS * (rounds + 1) * 3 + 15_000;
  await options.standIn?.arrivals(); // forget earlier phases' arrivals
  options.profile?.hooks.cutProfiles(options.profile.processes); // the profile so far is not this phase's
  const before = await meter.snapshot();
  const t0 = performance.now();
  const perClient = await Promise.all(
    Array.from({ length: streams }, async (_, client) => {
      await sleep((client * STREAM_MS) / streams);
      const samples: StreamSample[] = [];
      for (let round = 0; round < rounds && (round === 0 || performance.now() < deadline); round++) {
        samples.push(await one(client, `${phase}c${client}r${round}`));
      }
      return samples;
    }),
  );
  const cpu = await meter.since(before);
  const profiles = options.profile?.hooks.cutProfiles(options.profile.processes);
  const samples = perClient.flat();
  const arrivals = await options.standIn?.arrivals();
  for (const sample of samples) {
    const arrival = arrivals?.get(sample.tag);
    if (arrival !== undefined) sample.providerMs = arrival - sample.startedWall;
  }
  const lastToken = Math.max(...samples.map((s) => s.lastTokenAt ?? 0));
  // The most streams that were between their first and last token at the same moment.
  const edges = samples
    .filter((s) => s.firstTokenAt !== undefined && s.lastTokenAt !== undefined)
    .flatMap((s) => [
      [s.firstTokenAt!, 1],
      [s.lastTokenAt!, -1],
    ])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peakConcurrent = 0;
  for (const [, step] of edges) peakConcurrent = Math.max(peakConcurrent, (open += step));
  const tokens = samples.reduce((s, x) => s + x.tokens, 0);
  const defined = (pick: (s: StreamSample) => number | undefined): number[] =>
    samples.map(pick).filter((v): v is number => v !== undefined);
  const errors = samples.filter((s) => s.error);
  return {
    mode,
    streams,
    rounds,
    samples: samples.length,
    cutShort: samples.length < streams * rounds,
    quiet,
    wallMs: Math.round(performance.now() - t0),
    ttft: stats(defined((s) => s.ttftMs)),
    itl: stats(samples.flatMap((s) => s.gaps)),
    ...(mode === 'service'
      ? {
          post: stats(defined((s) => s.postMs)),
          created: stats(defined((s) => s.createdMs)),
          runStep: stats(defined((s) => s.runStepMs)),
          provider: stats(defined((s) => s.providerMs)),
        }
      : {}),
    tokens,
    tokensPerSecond: Math.round(tokens / ((lastToken - t0) / 1000)),
    peakConcurrent,
    lost: samples.reduce((s, x) => s + x.lost, 0),
    duplicated: samples.reduce((s, x) => s + x.duplicated, 0),
    textMismatches: samples.filter((s) => s.textMismatch).length,
    finalMismatches: mode === 'service' ? samples.filter((s) => s.finalMismatch).length : 0,
    errors: errors.length,
    errorExamples: [...new Set(errors.map((s) => s.error!))].slice(0, 3),
    cpu,
    profiles,
    cpuMsPerStream: Object.fromEntries(
      Object.entries(cpu.ms).map(([k, v]) => [k, Math.round((v / Math.max(1, samples.length)) * 10) / 10]),
    ),
  };
}

interface Level {
  streams: number;
  direct: PhaseResult;
  service: PhaseResult;
  addedTtftP50: number;
  addedTtftP99: number;
  addedItlP50: number;
  addedItlP99: number;
  /**
   * Added p99 inter-token delay under 50 ms, every token once and in order, no failed stream, and
   * at least 90 % of the baseline's peak concurrency and tokens/s.
   */
  held: boolean;
}

/** What every level needs. */
interface Bench {
  meter: CpuMeter;
  apiUrl: string;
  standIn: StandIn;
  users: BenchUser[];
  /** With BENCH_CPU_PROFILE=1: profiles the api and the worker during each service phase. */
  profile?: { hooks: AppHooks; processes: RunningApi[] };
}

async function runLevel(streams: number, bench: Bench): Promise<Level> {
  const { meter, apiUrl, standIn, users, profile } = bench;
  const direct = await runPhase('direct', streams, meter, (_, tag) => directStream(standIn.baseURL, tag));
  await sleep(500);
  const service = await runPhase(
    'service',
    streams,
    meter,
    (client, tag) => serviceStream(apiUrl, users[client % users.length], tag),
    { standIn, profile },
  );
  await sleep(500);
  const level: Level = {
    streams,
    direct,
    service,
    addedTtftP50: service.ttft.p50 - direct.ttft.p50,
    addedTtftP99: service.ttft.p99 - direct.ttft.p99,
    addedItlP50: service.itl.p50 - direct.itl.p50,
    addedItlP99: service.itl.p99 - direct.itl.p99,
    held: false,
  };
  level.held =
    level.addedItlP99 < HELD_ITL_P99_MS &&
    // Held means the service really carried that many at once: a slow start path lowers concurrency
    // (each client waits for its POST) and would otherwise pass for a low inter-token delay.
    service.peakConcurrent >= HELD_MIN_SHARE * direct.peakConcurrent &&
    service.tokensPerSecond >= HELD_MIN_SHARE * direct.tokensPerSecond &&
    service.lost + service.duplicated + service.textMismatches + service.finalMismatches === 0 &&
    service.errors === 0 &&
    direct.errors === 0;
  printLevel(level);
  return level;
}

interface MemoryReading {
  heapUsedKb: number;
  externalKb: number;
  rssKb: number;
}

interface MemoryResult {
  streams: number;
  connected: number;
  /** The generations running, no reader; then every stream open; then all ended. Each after a full GC. */
  before: MemoryReading;
  open: MemoryReading;
  afterClose: MemoryReading;
  /** (open − before) / streams, from VmRSS and from the JS heap + external memory the api reports. */
  rssPerConnectionKb: number;
  heapPerConnectionKb: number;
  abortedFinals: number;
  openMs: number;
}

/**
 * Memory of the api with `count` idle open SSE streams vs the same generations running without
 * readers: the generations are started first (the stand-in holds them silent), the memory is read,
 * then every stream is opened and the memory read again, each time after a full GC in the api.
 * The generations are aborted afterwards.
 */
async function measureMemory(
  apiUrl: string,
  api: RunningApi,
  hooks: AppHooks,
  users: BenchUser[],
  count: number,
): Promise<MemoryResult> {
  const started = await pooled(
    Array.from({ length: count }, (_, i) => i),
    50,
    async (i) => {
      const user = users[i % users.length];
      const res = await requestJson(
        `${apiUrl}/api/agents/chat`,
        'POST',
        { agent_id: user.agentId, text: promptFor(`idle${i}`, 'idle') },
        user.auth,
      );
      if (res.status !== 200) throw new Error(`idle start answered ${res.status}: ${JSON.stringify(res.body)}`);
      return { user, streamId: res.body.streamId as string };
    },
  );
  await sleep(2_000);
  const before = await hooks.memoryAfterGc(api);
  let connected = 0;
  let abortedFinals = 0;
  let allConnected!: () => void;
  const whenConnected = new Promise<void>((resolve) => (allConnected = resolve));
  const t0 = performance.now();
  const reading = started.map(({ user, streamId }) =>
    readSse(
      `${apiUrl}/api/agents/chat/stream/${streamId}`,
      { headers: user.auth },
      (frame) => {
        if (frame.data.includes('"aborted":true')) abortedFinals += 1;
      },
      (comment) => {
        if (comment === 'connected' && ++connected === count) allConnected();
      },
    ),
  );
  await Promise.race([whenConnected, sleep(30_000)]);
  const openMs = performance.now() - t0;
  await sleep(1_000);
  const open = await hooks.memoryAfterGc(api);
  await pooled(started, 50, ({ user, streamId }) =>
    requestJson(`${apiUrl}/api/agents/chat/abort`, 'POST', { conversationId: streamId }, user.auth),
  );
  await Promise.all(reading);
  await sleep(2_000);
  const afterClose = await hooks.memoryAfterGc(api);
  const per = (kb: number): number => Math.round((kb / count) * 10) / 10;
  return {
    streams: count,
    connected,
    before,
    open,
    afterClose,
    rssPerConnectionKb: per(open.rssKb - before.rssKb),
    heapPerConnectionKb: per(open.heapUsedKb + open.externalKb - before.heapUsedKb - before.externalKb),
    abortedFinals,
    openMs: Math.round(openMs),
  };
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const ms = (v: number, width = 8): string => (Number.isFinite(v) ? v.toFixed(1) : '-').padStart(width);

function printLevel(l: Level): void {
  const s = l.service;
  const d = l.direct;
  console.log(
    `\n--- ${l.streams} concurrent streams (${s.rounds} rounds, ${s.samples} streams each side) — ` +
      `${l.held ? 'held' : 'NOT held'} ---`,
  );
  console.log(
    `TTFT ms      service p50 ${ms(s.ttft.p50)} p99 ${ms(s.ttft.p99)} | direct p50 ${ms(d.ttft.p50)} p99 ${ms(d.ttft.p99)}` +
      ` | added p50 ${ms(l.addedTtftP50)} p99 ${ms(l.addedTtftP99)}`,
  );
  console.log(
    `ITL ms       service p50 ${ms(s.itl.p50)} p99 ${ms(s.itl.p99)} | direct p50 ${ms(d.itl.p50)} p99 ${ms(d.itl.p99)}` +
      ` | added p50 ${ms(l.addedItlP50)} p99 ${ms(l.addedItlP99)}`,
  );
  if (s.post && s.created && s.runStep && s.provider) {
    const part = (label: string, v: Stats): string => `${label} ${ms(v.p50, 0)}/${ms(v.p99, 0)}`;
    console.log(
      `service TTFT parts, ms after the POST started, p50/p99: ${part('POST answered', s.post)}, ` +
        `${part('provider called', s.provider)}, ${part('created frame', s.created)}, ` +
        `${part('on_run_step frame', s.runStep)}, ${part('first token', s.ttft)}`,
    );
  }
  console.log(
    `tokens/s     service ${s.tokensPerSecond} | direct ${d.tokensPerSecond}; peak concurrent streams service ` +
      `${s.peakConcurrent} | direct ${d.peakConcurrent}; tokens ${s.tokens}/${d.tokens}; ` +
      `lost ${s.lost} dup ${s.duplicated} mismatched ${s.textMismatches} final-mismatched ${s.finalMismatches}; ` +
      `errors service ${s.errors} direct ${d.errors}` +
      (s.errorExamples.length + d.errorExamples.length > 0
        ? ` (${[...s.errorExamples, ...d.errorExamples].join('; ').slice(0, 300)})`
        : ''),
  );
  const cpu = (c: CpuReport): string =>
    `api ${c.percent.api}% worker ${c.percent.worker}% stand-in ${c.percent.standIn}% redis ${c.percent.redis}% ` +
    `postgres ${c.percent.postgres}% client ${c.percent.client}%; machine ${c.machine}%/${cpuCount() * 100}% ` +
    `of which others ${c.others}%; client loop delay p99 ${c.clientLoopP99Ms} ms max ${c.clientLoopMaxMs} ms`;
  console.log(`CPU service  ${cpu(s.cpu)}`);
  console.log(
    `CPU ms per stream (service): api ${s.cpuMsPerStream.api}, worker ${s.cpuMsPerStream.worker}, ` +
      `redis ${s.cpuMsPerStream.redis}, postgres ${s.cpuMsPerStream.postgres}, client ${s.cpuMsPerStream.client}` +
      (s.cutShort || d.cutShort ? '; the phase hit its deadline (fewer rounds)' : '') +
      `; waited ${((s.quiet.waitedMs + d.quiet.waitedMs) / 1000).toFixed(0)} s for a quiet machine`,
  );
  console.log(`CPU direct   ${cpu(d.cpu)}`);
  if (s.profiles) console.log(`CPU profiles of the service phase (api, worker): ${s.profiles.join(', ')}`);
}

function printSummary(levels: Level[], search: Level[], held: number, memory: MemoryResult | null): void {
  console.log('\n##### Streaming through the service vs straight from the stand-in (20 tokens/s per stream) #####');
  const head =
    'streams'.padStart(8) +
    'TTFT+ p50'.padStart(11) +
    'TTFT+ p99'.padStart(11) +
    'ITL+ p50'.padStart(10) +
    'ITL+ p99'.padStart(10) +
    'svc tok/s'.padStart(11) +
    'dir tok/s'.padStart(11) +
    'svc peak'.padStart(10) +
    'dir peak'.padStart(10) +
    'lost'.padStart(6) +
    'dup'.padStart(5) +
    'errors'.padStart(8) +
    'api%'.padStart(6) +
    'wkr%'.padStart(6) +
    'cli%'.padStart(6) +
    'oth%'.padStart(6) +
    'api ms/str'.padStart(12) +
    'wkr ms/str'.padStart(12) +
    '  held';
  console.log(head);
  for (const l of [...levels, ...search]) {
    console.log(
      String(l.streams).padStart(8) +
        ms(l.addedTtftP50, 11) +
        ms(l.addedTtftP99, 11) +
        ms(l.addedItlP50, 10) +
        ms(l.addedItlP99, 10) +
        String(l.service.tokensPerSecond).padStart(11) +
        String(l.direct.tokensPerSecond).padStart(11) +
        String(l.service.peakConcurrent).padStart(10) +
        String(l.direct.peakConcurrent).padStart(10) +
        String(l.service.lost).padStart(6) +
        String(l.service.duplicated).padStart(5) +
        String(l.service.errors).padStart(8) +
        String(l.service.cpu.percent.api).padStart(6) +
        String(l.service.cpu.percent.worker).padStart(6) +
        String(l.service.cpu.percent.client).padStart(6) +
        String(l.service.cpu.others).padStart(6) +
        ms(l.service.cpuMsPerStream.api, 12) +
        ms(l.service.cpuMsPerStream.worker, 12) +
        `  ${l.held ? 'yes' : 'no'}`,
    );
  }
  console.log(
    '(+ = service minus direct, ms; CPU % of one core during the service phase, the machine has ' +
      `${cpuCount() * 100}%; oth% = used by processes not the bench's (other people's work on a shared box); ` +
      `peak = most streams receiving tokens at once; ms/str = CPU ms per stream; held = added ITL p99 < ${HELD_ITL_P99_MS} ms, ` +
      `no lost/duplicated token, no failed stream, service peak and tok/s >= ${HELD_MIN_SHARE * 100}% of direct)`,
  );
  if (memory) {
    const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
    const line = (label: string, r: MemoryReading): string =>
      `${label} RSS ${mb(r.rssKb)}, heap ${mb(r.heapUsedKb)} + external ${mb(r.externalKb)}`;
    console.log(
      `\napi memory with ${memory.connected}/${memory.streams} idle SSE streams (after a full GC each time): ` +
        `${line('before', memory.before)}; ${line('open', memory.open)}; ${line('after they ended', memory.afterClose)}`,
    );
    console.log(
      `=> per open SSE connection: ${memory.rssPerConnectionKb} KB of RSS, ${memory.heapPerConnectionKb} KB of JS heap + ` +
        `external; ${memory.streams} streams opened in ${memory.openMs} ms; ${memory.abortedFinals} aborted finals received`,
    );
  }
  const at100 = levels.find((l) => l.streams === TTFT_TARGET.streams);
  if (at100) {
    console.log(
      `\n${at100.addedTtftP50 <= TTFT_TARGET.addedP50Ms ? 'PASS' : 'MISS'}: added TTFT p50 at ${TTFT_TARGET.streams} ` +
        `streams ${at100.addedTtftP50.toFixed(1)} ms; target <= ${TTFT_TARGET.addedP50Ms} ms`,
    );
  }
  console.log(
    `${held >= HELD_TARGET ? 'PASS' : 'MISS'}: most concurrent streams held ${held}` +
      `${(search.at(-1) ?? levels[levels.length - 1]).held ? ' (the largest level tried: more may be held)' : ''}; ` +
      `target >= ${HELD_TARGET}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Setup: database, Redis db number, processes, users, profiling
// ---------------------------------------------------------------------------------------------

export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A Redis database number that holds no key, from 15 down to 13: the bench's queue, streams and
 * state are then its own. 8–12 are the test suites' (test/support/redis.ts), which must not share
 * the `generation` queue with anyone.
 */
export async function emptyRedisDb(): Promise<{ url: string; flush: () => Promise<void> }> {
  for (let db = 15; db >= 13; db--) {
    const url = `${REDIS_SERVER_URL.replace(/\/\d*$/, '')}/${db}`;
    const redis = new Redis(url, { lazyConnect: true });
    await redis.connect();
    try {
      if ((await redis.dbsize()) === 0) {
        return {
          url,
          flush: async () => {
            const r = new Redis(url);
            try {
              await r.flushdb();
            } finally {
              r.disconnect();
            }
          },
        };
      }
    } finally {
      redis.disconnect();
    }
  }
  throw new Error('no empty Redis database among 13, 14 and 15');
}

/** The server processes of the connections to the bench's database (the api's and the worker's pools). */
export async function backendsOf(pg: Client, database: string): Promise<number[]> {
  const { rows } = await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  return rows.map((r) => r.pid);
}

export async function redisPid(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    const info = await redis.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]);
  } finally {
    redis.disconnect();
  }
}

/**
 * A preload (`--require` in NODE_OPTIONS) that gives the bench two hooks into the api and worker
 * processes, by signal because they have no IPC channel (the apps' shutdown hooks listen to SIGUSR2
 * and most other signals, so these use SIGURG and SIGWINCH, which are ignored by default):
 * - SIGURG: two full GCs a second apart, then `<pid>-memory.json` with process.memoryUsage(), so the memory per SSE
 *   connection is not hidden by garbage (V8's gc() is exposed through --expose-gc set at runtime);
 * - SIGWINCH, with BENCH_CPU_PROFILE=1: the V8 profiler (through node:inspector) writes what it
 *   sampled since the previous SIGWINCH to `<pid>-<n>.cpuprofile` and starts afresh (--cpu-prof is
 *   not allowed in NODE_OPTIONS). The bench cuts one profile per service phase; open them in
 *   Chrome DevTools (Performance tab).
 */
export class AppHooks {
  readonly dir = join(__dirname, '.results', 'hooks');
  readonly preload = join(this.dir, 'bench-hooks.js');
  private readonly cuts = new Map<number, number>();

  constructor(readonly profiling: boolean) {
    mkdirSync(this.dir, { recursive: true });
    const dir = JSON.stringify(this.dir);
    writeFileSync(
      this.preload,
      `const { writeFileSync } = require('node:fs');
require('node:v8').setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');
process.on('SIGURG', () => {
  gc();
  // A second full GC a second later, once V8 has handed the freed pages back, steadies the RSS too.
  setTimeout(() => {
    gc();
    writeFileSync(${dir} + '/' + process.pid + '-memory.json', JSON.stringify(process.memoryUsage()));
  }, 1000);
});
` +
        (profiling
          ? `const inspector = require('node:inspector');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable', () => session.post('Profiler.start'));
let n = 0;
process.on('SIGWINCH', () =>
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(${dir} + '/' + process.pid + '-' + n++ + '.cpuprofile', JSON.stringify(result.profile));
    session.post('Profiler.start');
  }),
);
`
          : ''),
    );
  }

  /** Ends the current CPU profile of each process (written in the background); returns the files. */
  cutProfiles(processes: RunningApi[]): string[] {
    return processes.map((p) => {
      const pid = p.child.pid!;
      const n = this.cuts.get(pid) ?? 0;
      this.cuts.set(pid, n + 1);
      p.child.kill('SIGWINCH');
      return join(this.dir, `${pid}-${n}.cpuprofile`);
    });
  }

  /** A full GC in the process, then its memory as it reports it, and its VmRSS. */
  async memoryAfterGc(p: RunningApi): Promise<{ heapUsedKb: number; externalKb: number; rssKb: number }> {
    const file = join(this.dir, `${p.child.pid}-memory.json`);
    rmSync(file, { force: true });
    p.child.kill('SIGURG');
    const deadline = Date.now() + 10_000;
    while (!existsSync(file)) {
      if (Date.now() > deadline) throw new Error(`pid ${p.child.pid} wrote no ${file}`);
      await sleep(50);
    }
    await sleep(50); // the file is written in one call; let it finish
    const usage = JSON.parse(readFileSync(file, 'utf8')) as NodeJS.MemoryUsage;
    await sleep(500); // let the RSS settle after the GC
    return {
      heapUsedKb: Math.round(usage.heapUsed / 1024),
      externalKb: Math.round((usage.external + usage.arrayBuffers) / 1024),
      rssKb: await steadyRssKb(p.child.pid!, 5, 100),
    };
  }
}

/** SIGTERM, then SIGKILL if it has not exited in 15 s (open streams can hold a graceful shutdown). */
export async function stopProcess(p: RunningApi): Promise<void> {
  if (p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  if ((await Promise.race([p.exited.then(() => 'exited'), sleep(15_000)])) !== 'exited') p.child.kill('SIGKILL');
  await p.exited;
}

export async function createUsers(apiUrl: string, count: number): Promise<BenchUser[]> {
  const password = 'correct horse battery';
  const run = randomBytes(4).toString('hex');
  return pooled(
    Array.from({ length: count }, (_, i) => i),
    4,
    async (i) => {
      const email = `bench-stream-${run}-${i}@example.com`;
      const registered = await requestJson(`${apiUrl}/api/auth/register`, 'POST', {
        email,
        password,
        name: `Bench ${i}`,
      });
      if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
      const login = await requestJson(`${apiUrl}/api/auth/login`, 'POST', { email, password });
      if (login.status !== 200) throw new Error(`login answered ${login.status}`);
      const auth = { Authorization: `Bearer ${login.body.token as string}` };
      const created = await requestJson(
        `${apiUrl}/api/agents`,
        'POST',
        {
          name: `Bench agent ${i}`,
          description: 'Streams',
          instructions: 'Be brief.',
          provider: 'openai',
          model: 'gpt-4o',
        },
        auth,
      );
      if (created.status !== 201) throw new Error(`agent create answered ${created.status}`);
      return { auth, agentId: created.body.id as string };
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

/** The service under test and everything around it; `close()` undoes it all, in reverse order. */
export interface BenchService {
  api: RunningApi;
  worker: RunningApi;
  standIn: StandIn;
  hooks: AppHooks;
  /** CPU of the api, the worker, the stand-in, redis-server and the database's PostgreSQL backends. */
  meter: CpuMeter;
  dbName: string;
  redisUrl: string;
  /** Undo steps for what a bench adds itself (run before the service's own, in reverse order). */
  onClose(step: () => Promise<void>): void;
  close(): Promise<void>;
}

/**
 * Starts what every streaming bench measures: a fresh database (`bench_<name>_…`) and an empty Redis
 * database, the stand-in in a child process, then the built api (which migrates) and worker with
 * limits raised so that only CPU bounds them. Everything is undone by `close()`, also when starting fails.
 */
export async function startBenchService(name: string, options: { cpuProfile: boolean }): Promise<BenchService> {
  for (const app of ['api', 'worker']) {
    if (!existsSync(join(__dirname, `../dist/apps/${app}/apps/${app}/src/main.js`))) {
      throw new Error(`dist/apps/${app} is missing: run \`npm run build\` first`);
    }
  }
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    while (cleanups.length > 0) {
      const step = cleanups.pop()!;
      await step().catch((err: unknown) => console.error('cleanup failed:', err));
    }
  };
  const processes: RunningApi[] = [];
  try {
    const dbName = `bench_${name}_${process.pid}_${randomBytes(3).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${dbName}`);
    cleanups.push(() => adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    const redis = await emptyRedisDb();
    cleanups.push(redis.flush);
    const standIn = await startStandIn();
    cleanups.push(standIn.close);

    const hooks = new AppHooks(options.cpuProfile);
    const env: Record<string, string> = {
      DATABASE_URL: urlFor(dbName),
      REDIS_URL: redis.url,
      JWT_SECRET: `bench-${randomBytes(24).toString('hex')}`,
      OPENAI_BASE_URL: standIn.baseURL,
      OPENAI_API_KEY: 'sk-bench',
      // Access logs off (warn): one info line per request would be measured too.
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      AUTH_RATE_LIMIT: '1000000',
      OPENAI_COMPAT_RATE_LIMIT: '1000000',
      MAX_CONCURRENT_GENERATIONS: '100',
      WORKER_CONCURRENCY: '2000',
      DB_POOL_SIZE: '20',
      SHUTDOWN_DRAIN_SECONDS: '5',
      NODE_OPTIONS: `--require ${hooks.preload}`,
    };
    const api = spawnApi({ ...env, PORT: String(await freePort()) });
    processes.push(api);
    cleanups.push(() => stopProcess(api));
    await waitFor(`${api.baseUrl}/api/health/ready`, 200, 90_000); // migrates the fresh database
    const worker = spawnWorker(env);
    processes.push(worker);
    cleanups.push(() => stopProcess(worker));
    console.log(
      `database ${dbName}; redis ${redis.url}; api pid ${api.child.pid} on ${api.baseUrl}; worker pid ${worker.child.pid}; ` +
        `stand-in pid ${standIn.child.pid} at ${standIn.baseURL}; node ${process.version}; ${cpuCount()} CPUs`,
    );

    const redisServerPid = await redisPid(redis.url);
    const pg = new Client({ connectionString: ADMIN_URL });
    await pg.connect();
    cleanups.push(() => pg.end());
    const meter = new CpuMeter([
      { name: 'api', pids: () => [api.child.pid!] },
      { name: 'worker', pids: () => [worker.child.pid!] },
      { name: 'standIn', pids: () => [standIn.child.pid!] },
      { name: 'redis', pids: () => [redisServerPid] },
      { name: 'postgres', pids: () => backendsOf(pg, dbName) },
    ]);
    return {
      api,
      worker,
      standIn,
      hooks,
      meter,
      dbName,
      redisUrl: redis.url,
      onClose: (step) => cleanups.push(step),
      close,
    };
  } catch (err) {
    for (const p of processes) console.error(`--- output of pid ${p.child.pid} ---\n${p.output().slice(-4000)}`);
    await close();
    throw err;
  }
}

/**
 * Runs a bench against a fresh service: on failure prints the service's output; on success, failure
 * or Ctrl-C undoes everything (open keep-alive streams are cut first, or they would hold the api's
 * graceful shutdown).
 */
export async function runBench(
  name: string,
  options: { cpuProfile: boolean },
  body: (service: BenchService) => Promise<void>,
): Promise<void> {
  let service: BenchService | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: cleaning up`);
    agent.destroy();
    void (service?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    service = await startBenchService(name, options);
    await body(service);
  } catch (err) {
    for (const p of service ? [service.api, service.worker] : []) {
      console.error(`--- output of pid ${p.child.pid} ---\n${p.output().slice(-4000)}`);
    }
    throw err;
  } finally {
    agent.destroy();
    await service?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  await runBench('streaming', { cpuProfile: CPU_PROFILE }, async ({ api, worker, standIn, hooks, meter }) => {
    const apiUrl = api.baseUrl;
    const users = await createUsers(apiUrl, USERS);
    console.log(`${users.length} users, one agent each (provider openai → the stand-in)`);
    const bench: Bench = {
      meter,
      apiUrl,
      standIn,
      users,
      profile: CPU_PROFILE ? { hooks, processes: [api, worker] } : undefined,
    };

    // Warm-up: proves the worker consumes jobs, and lets V8 optimise both paths before measuring.
    const warm = await runPhase('service', 20, meter, (client, tag) => serviceStream(apiUrl, users[client], tag), {
      quiet: false,
    });
    if (warm.errors > 0) throw new Error(`warm-up failed: ${warm.errorExamples.join('; ')}\n${worker.output()}`);
    await runPhase('direct', 20, meter, (_, tag) => directStream(standIn.baseURL, tag), { quiet: false });
    console.log(`warm-up: 20 streams × ${warm.rounds} rounds through the service, every token delivered`);

    const levels: Level[] = [];
    for (const streams of LEVELS) levels.push(await runLevel(streams, bench));

    // The search starts from the largest level: up while streams are held, else down to one that is.
    const search: Level[] = [];
    const top = levels[levels.length - 1];
    const heldLevels = (): number[] => [...levels, ...search].filter((l) => l.held).map((l) => l.streams);
    const searchStarted = performance.now();
    const steps = !SEARCH
      ? []
      : top.held
        ? SEARCH_UP.filter((n) => n > top.streams)
        : SEARCH_DOWN.filter((n) => n < top.streams);
    for (const streams of steps) {
      if (performance.now() - searchStarted > SEARCH_BUDGET_MS) break;
      const level = await runLevel(streams, bench);
      search.push(level);
      if (level.held !== top.held) break; // the first failure going up, the first success going down
    }
    const held = Math.max(0, ...heldLevels());

    let memory: MemoryResult | null = null;
    if (MEMORY_STREAMS > 0) {
      console.log(`\n--- api memory with ${MEMORY_STREAMS} idle open SSE streams ---`);
      memory = await measureMemory(apiUrl, api, hooks, users, MEMORY_STREAMS);
    }

    printSummary(levels, search, held, memory);
    const at100 = levels.find((l) => l.streams === TTFT_TARGET.streams);
    const pass = at100 !== undefined && at100.addedTtftP50 <= TTFT_TARGET.addedP50Ms && held >= HELD_TARGET;

    mkdirSync(join(__dirname, '.results'), { recursive: true });
    writeFileSync(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          generatedAt: new Date().toISOString(),
          node: process.version,
          cpus: cpuCount(),
          parameters: {
            tokensPerStream: TOKENS_PER_STREAM,
            tokenIntervalMs: TOKEN_INTERVAL_MS,
            levels: LEVELS,
            searchUp: SEARCH_UP,
            searchDown: SEARCH_DOWN,
            users: USERS,
            memoryStreams: MEMORY_STREAMS,
            heldItlP99Ms: HELD_ITL_P99_MS,
          },
          levels,
          search,
          held,
          memory,
          targets: { ttft: TTFT_TARGET, held: HELD_TARGET },
          pass,
          totalSeconds: Math.round((performance.now() - started) / 100) / 10,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`results written to ${RESULTS_FILE}; total ${((performance.now() - started) / 1000).toFixed(1)}s`);
    if (!pass) process.exitCode = 1;
  });
}

if (process.argv.includes(STAND_IN_FLAG)) {
  void runStandIn();
} else if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
