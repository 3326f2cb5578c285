/**
 * Benchmark of chat streaming through the service (issue 4). A stand-in provider emits tokens at a
 * fixed pace; the same client measures them through the service and straight from the stand-in (the
 * baseline), in the same run. Two scenarios (BENCH_SCENARIOS=staggered or =burst runs one alone):
 * - staggered: the distributed mode (the built api and worker as child processes, real PostgreSQL and
 *   Redis) at 1, 100 and 500 concurrent streams opened evenly, then a search for the most streams
 *   held, then the memory per open SSE connection;
 * - burst: 1, 10 and 100 chats started at the same instant, in the distributed mode and in the
 *   embedded one (the built api alone, PGlite and the in-process queue and bus).
 * The setup, the stand-in, the client and the measuring helpers are in bench/support. See
 * bench/README.md. Run with `npm run bench:streaming` after `npm run build`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningApi } from '../test/support/process';
import { type Prepared, pooled, prepareJson, prepareSse, readSse, requestJson } from './support/client';
import { type CpuMeter, type CpuReport, cpuCount, waitForQuiet } from './support/cpu';
import { cpuLine, errorsPart, ms, printLatencies, writeResults } from './support/report';
import {
  type AppHooks,
  type BenchService,
  type BenchUser,
  createUsers,
  runBench,
  runEmbeddedBench,
} from './support/service';
import {
  DEFAULT_PACE,
  STREAM_MS,
  TOKENS_PER_STREAM,
  TOKEN_INTERVAL_MS,
  type Pace,
  type StandIn,
  compareTokens,
  promptFor,
  tokensFor,
  wallNow,
} from './support/stand-in';
import { type Stats, stats } from './support/stats';

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

/** Writes V8 CPU profiles of the api and the worker to bench/.results/profiles (for investigating). */
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE === '1';
/** A comma-separated list of numbers from the environment, or the default. */
function numbersFromEnv(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name];
  return raw ? raw.split(',').map((v) => Number(v.trim())) : [...fallback];
}

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
/** The per-user limit of running generations is at most 100; each bench user holds at most this many. */
const STREAMS_PER_USER = 50;
const MAX_STREAMS = Math.max(...SEARCH_UP, MEMORY_STREAMS, ...LEVELS);
const USERS = Math.ceil(MAX_STREAMS / STREAMS_PER_USER);
/** Consecutive streams each client runs at a level: enough samples at 1, a steady plateau at N. */
const roundsAt = (streams: number): number => (streams === 1 ? 10 : streams <= 100 ? 4 : 3);
const HELD_ITL_P99_MS = 50;
/** … and the service reached at least this share of the baseline's peak concurrency and tokens/s. */
const HELD_MIN_SHARE = 0.9;
const TTFT_TARGET = { streams: 100, addedP50Ms: 15 };
const HELD_TARGET = 500;
const RESULTS_FILE = join(__dirname, '.results', 'streaming.json');

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

export interface Recorder {
  tag: string;
  startedWall: number;
  start: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  gaps: number[];
  received: string[];
}

/**
 * Takes one delta. The service coalesces the tokens that come while a publish is in flight into one
 * delta, so a delta is split back into the stand-in's tokens (each `<tag>:<i> `, ending with its
 * space) for the zero-loss check; tokens that came in one delta arrived together (a gap of 0).
 */
export function onToken(r: Recorder, text: string, at: number): void {
  // A trailing piece without its space (never sent by the stand-in) is kept, so a mismatch shows.
  for (const token of text.match(/[^ ]* |[^ ]+$/g) ?? []) {
    if (r.lastTokenAt !== undefined) r.gaps.push(at - r.lastTokenAt);
    else r.firstTokenAt = at;
    r.lastTokenAt = at;
    r.received.push(token);
  }
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

/** POST /api/agents/chat, then the SSE stream opened as soon as the POST answers. */
function serviceStream(apiUrl: string, user: BenchUser, tag: string): Promise<StreamSample> {
  return prepareServiceStream(apiUrl, user, tag).send();
}

/** {@link serviceStream} with its POST built (and given a socket) but not yet sent; the clock starts at `send()`. */
function prepareServiceStream(
  apiUrl: string,
  user: BenchUser,
  tag: string,
  pace: Pace = DEFAULT_PACE,
): Prepared<StreamSample> {
  const expected = tokensFor(tag, pace.tokens);
  const r: Recorder = { tag, startedWall: 0, start: 0, gaps: [], received: [] };
  const post = prepareJson(
    `${apiUrl}/api/agents/chat`,
    'POST',
    { agent_id: user.agentId, text: promptFor(tag, 'stream', pace) },
    user.auth,
  );
  const send = async (): Promise<StreamSample> => {
    r.startedWall = wallNow();
    r.start = performance.now();
    const started = await post.send();
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
  };
  return { ready: post.ready, send };
}

/** The baseline: the same request shape straight to the stand-in's chat completions. */
function directStream(standInUrl: string, tag: string): Promise<StreamSample> {
  return prepareDirectStream(standInUrl, tag).send();
}

/** {@link directStream} built (and given a socket) but not yet sent; the clock starts at `send()`. */
function prepareDirectStream(standInUrl: string, tag: string, pace: Pace = DEFAULT_PACE): Prepared<StreamSample> {
  const expected = tokensFor(tag, pace.tokens);
  const r: Recorder = { tag, startedWall: 0, start: 0, gaps: [], received: [] };
  let done = false;
  const request = prepareSse(
    `${standInUrl}/chat/completions`,
    {
      method: 'POST',
      headers: { Authorization: 'Bearer sk-bench' },
      body: {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: promptFor(tag, 'stream', pace) }],
        stream: true,
      },
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
  const send = async (): Promise<StreamSample> => {
    r.startedWall = wallNow();
    r.start = performance.now();
    const read = await request.send();
    return sampleOf(r, expected, { error: read.error ?? (done ? undefined : 'no [DONE]') });
  };
  return { ready: request.ready, send };
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

function printLevel(l: Level): void {
  const s = l.service;
  const d = l.direct;
  console.log(
    `\n--- ${l.streams} concurrent streams (${s.rounds} rounds, ${s.samples} streams each side) — ` +
      `${l.held ? 'held' : 'NOT held'} ---`,
  );
  printLatencies(l);
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
      errorsPart(s, d),
  );
  const cpu = (c: CpuReport): string => cpuLine(c, { loopMax: true });
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
// Burst: N chats started at the same instant, in both run modes
// ---------------------------------------------------------------------------------------------

type Mode = 'distributed' | 'embedded';

/** How many chats start at once. */
const BURST_LEVELS = numbersFromEnv('BENCH_BURST_LEVELS', [1, 10, 100]);
/** Which run modes the burst scenario measures. */
const BURST_MODES = listFromEnv('BENCH_BURST_MODES', ['distributed', 'embedded'] as const);
/** Each burst stream: 50 tokens, 20 ms apart (the first 20 ms after the request), so it lasts about 1 s. */
const BURST_PACE: Pace = {
  tokens: Number(process.env.BENCH_BURST_TOKENS ?? 50),
  intervalMs: Number(process.env.BENCH_BURST_INTERVAL_MS ?? 20),
};
/** Bursts per level, for stable percentiles: 10 × 1, 5 × 10, 3 × 100 streams. */
const burstRounds = (streams: number): number => (streams >= 100 ? 3 : streams >= 10 ? 5 : 10);
/** After a burst's last stream ended, the CPU meter keeps reading this long (the generations' last writes). */
const BURST_TAIL_MS = 250;
/** Before each round, the quiet-machine wait lasts at most this long (18 rounds per mode). */
const BURST_QUIET_WAIT_MS = 5_000;
/** Between the baseline's burst and the service's, in each round. */
const BURST_GAP_MS = 300;
/** The CPU target is for a stream of this many tokens (the staggered scenario's). */
const CPU_TARGET_TOKENS = 40;
/** ms of CPU for a 40-token stream: api + worker + Redis + PostgreSQL (distributed), the one process (embedded). */
const CPU_TARGET_MS: Record<Mode, number> = { distributed: 8, embedded: 10 };
/** The service's processes in each mode, as the CPU meter names them. */
const SERVICE_PROCESSES: Record<Mode, string[]> = {
  distributed: ['api', 'worker', 'redis', 'postgres'],
  embedded: ['api'],
};

interface BurstTarget {
  addedTtftP50Ms: number;
  addedTtftP99Ms?: number;
  /** Service tokens/s at least this share of the baseline's. */
  tokensRatio?: number;
  /** The CPU target (CPU_TARGET_MS) is judged on this level. */
  cpu?: boolean;
}

const BURST_TARGETS: Record<number, BurstTarget> = {
  100: { addedTtftP50Ms: 100, addedTtftP99Ms: 300, tokensRatio: 0.9, cpu: true },
  10: { addedTtftP50Ms: 20 },
  1: { addedTtftP50Ms: 10 },
};

/** A comma-separated list of names from the environment (each one of `allowed`), or all of them. */
function listFromEnv<T extends string>(name: string, allowed: readonly T[]): T[] {
  const raw = process.env[name];
  if (!raw) return [...allowed];
  const values = raw.split(',').map((v) => v.trim());
  const unknown = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
  return values as T[];
}

/** What the burst scenario needs of a running service, whatever its mode. */
interface BurstContext {
  mode: Mode;
  apiUrl: string;
  standIn: StandIn;
  meter: CpuMeter;
  users: BenchUser[];
  /** With BENCH_CPU_PROFILE=1: the processes profiled during each level (api and worker, or the api). */
  profile?: { hooks: AppHooks; processes: RunningApi[] };
}

/** One burst of one side: every stream, when it was fired, and what it delivered. */
interface BurstSide {
  samples: StreamSample[];
  /** Burst start → the last token of any stream. */
  wallMs: number;
  tokens: number;
}

/** Waits until every request has its connected socket, then sends them all in one loop. */
async function fireBurst(prepared: Prepared<StreamSample>[]): Promise<BurstSide> {
  await Promise.all(prepared.map((p) => p.ready));
  const t0 = performance.now();
  const samples = await Promise.all(prepared.map((p) => p.send()));
  const lastToken = Math.max(0, ...samples.map((s) => s.lastTokenAt ?? 0));
  return {
    samples,
    wallMs: (lastToken > t0 ? lastToken : performance.now()) - t0,
    tokens: samples.reduce((sum, x) => sum + x.tokens, 0),
  };
}

/** One round: a quiet machine, the baseline's burst, then the service's, with its CPU. */
interface BurstRound {
  direct: BurstSide;
  service: BurstSide;
  quiet: { waitedMs: number; busy: number };
  /** CPU ms of every process from the service burst's start to BURST_TAIL_MS after its last stream. */
  cpu: CpuReport;
  cpuSeconds: number;
  /** CPU ms per second of each process while the service was idle (during the baseline's burst). */
  idleMsPerSecond: Record<string, number>;
}

async function burstRound(ctx: BurstContext, streams: number, prefix: string): Promise<BurstRound> {
  const quiet = await waitForQuiet(BURST_QUIET_WAIT_MS);
  const idleBefore = await ctx.meter.snapshot();
  const idleStarted = performance.now();
  const direct = await fireBurst(
    Array.from({ length: streams }, (_, i) => prepareDirectStream(ctx.standIn.baseURL, `${prefix}d${i}`, BURST_PACE)),
  );
  await sleep(BURST_GAP_MS);
  const idle = await ctx.meter.since(idleBefore);
  const idleSeconds = (performance.now() - idleStarted) / 1000;
  await ctx.standIn.arrivals(); // forget the baseline's arrivals

  const before = await ctx.meter.snapshot();
  const cpuStarted = performance.now();
  const service = await fireBurst(
    ctx.users.slice(0, streams).map((user, i) => prepareServiceStream(ctx.apiUrl, user, `${prefix}s${i}`, BURST_PACE)),
  );
  await sleep(BURST_TAIL_MS);
  const cpu = await ctx.meter.since(before);
  const cpuSeconds = (performance.now() - cpuStarted) / 1000;
  const arrivals = await ctx.standIn.arrivals();
  for (const sample of service.samples) {
    const arrival = arrivals.get(sample.tag);
    if (arrival !== undefined) sample.providerMs = arrival - sample.startedWall;
  }
  return {
    direct,
    service,
    quiet,
    cpu,
    cpuSeconds,
    idleMsPerSecond: Object.fromEntries(Object.entries(idle.ms).map(([k, v]) => [k, v / idleSeconds])),
  };
}

interface BurstLevel {
  mode: Mode;
  streams: number;
  rounds: number;
  /** TTFT from each stream's request start to its first content token. */
  directTtft: Stats;
  serviceTtft: Stats;
  addedTtftP50: number;
  addedTtftP99: number;
  /** Service only, from the request start: POST answered, the worker's provider request reached the stand-in, frames. */
  post: Stats;
  provider: Stats;
  created: Stats;
  runStep: Stats;
  /** Total tokens over the summed wall times (burst start → last token), all rounds. */
  directTokensPerSecond: number;
  serviceTokensPerSecond: number;
  tokensRatio: number;
  /** CPU ms of each process over the service bursts, raw and (the service's processes) less their idle rate. */
  cpuMsRaw: Record<string, number>;
  cpuMsNet: Record<string, number>;
  /** Net CPU ms per stream, per process (the service's processes and the client, the stand-in). */
  cpuMsPerStream: Record<string, number>;
  /** Net CPU ms of the service's processes per delivered token × 40: a 40-token stream. */
  cpuMsPer40Tokens: number;
  /** The same, unscaled: one burst stream of BURST_PACE.tokens tokens, all the service's processes. */
  cpuMsPerBurstStream: number;
  tokensService: number;
  tokensDirect: number;
  lost: number;
  duplicated: number;
  textMismatches: number;
  finalMismatches: number;
  errors: number;
  /** Every stream that failed the zero-loss check or errored (either side), one line each. */
  failures: string[];
  /** The most a round waited for a quiet machine and the busiest it was when it started (% of one core). */
  quiet: { maxWaitedMs: number; maxBusy: number };
  /** Mean % of the machine used by processes not the bench's during the service bursts. */
  othersPercent: number;
  profiles?: string[];
  target?: BurstTarget;
  /** What missed its target (empty: PASS). */
  misses: string[];
  pass: boolean | null;
}

/** One line per stream that errored or lost, repeated, reordered or misstored a token. */
function failuresOf(side: string, samples: StreamSample[]): string[] {
  return samples
    .filter((s) => s.error || s.lost || s.duplicated || s.textMismatch || s.finalMismatch)
    .map(
      (s) =>
        `${side} ${s.tag}: ${s.tokens} tokens, lost ${s.lost}, duplicated ${s.duplicated}` +
        `${s.textMismatch ? ', text differs' : ''}${s.finalMismatch ? ', final differs' : ''}` +
        `${s.error ? `, error ${s.error.slice(0, 200)}` : ''}`,
    );
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

async function runBurstLevel(ctx: BurstContext, streams: number): Promise<BurstLevel> {
  if (streams > ctx.users.length) throw new Error(`a burst of ${streams} needs ${streams} users`);
  const rounds = burstRounds(streams);
  ctx.profile?.hooks.cutProfiles(ctx.profile.processes); // the profile so far is not this level's
  const results: BurstRound[] = [];
  for (let round = 0; round < rounds; round++) {
    results.push(await burstRound(ctx, streams, `b${ctx.mode[0]}${streams}r${round}`));
  }
  const profiles = ctx.profile?.hooks.cutProfiles(ctx.profile.processes);

  const direct = results.flatMap((r) => r.direct.samples);
  const service = results.flatMap((r) => r.service.samples);
  const defined = (samples: StreamSample[], pick: (s: StreamSample) => number | undefined): number[] =>
    samples.map(pick).filter((v): v is number => v !== undefined);
  const rate = (sides: BurstSide[]): number =>
    sides.reduce((sum, x) => sum + x.tokens, 0) / (sides.reduce((sum, x) => sum + x.wallMs, 0) / 1000);
  const directTtft = stats(defined(direct, (s) => s.ttftMs));
  const serviceTtft = stats(defined(service, (s) => s.ttftMs));
  const directTokensPerSecond = rate(results.map((r) => r.direct));
  const serviceTokensPerSecond = rate(results.map((r) => r.service));

  const names = Object.keys(results[0].cpu.ms);
  const cpuMsRaw: Record<string, number> = {};
  const cpuMsNet: Record<string, number> = {};
  for (const name of names) {
    cpuMsRaw[name] = results.reduce((sum, r) => sum + r.cpu.ms[name], 0);
    // The service's idle rate (timers, Redis's own cron, BullMQ's checks) is not the streams' cost. The
    // client and the stand-in are busy with the baseline meanwhile: theirs stays raw.
    const idle = (r: BurstRound): number =>
      SERVICE_PROCESSES[ctx.mode].includes(name) ? (r.idleMsPerSecond[name] ?? 0) * r.cpuSeconds : 0;
    cpuMsNet[name] = results.reduce((sum, r) => sum + Math.max(0, r.cpu.ms[name] - idle(r)), 0);
  }
  const tokensService = service.reduce((sum, x) => sum + x.tokens, 0);
  const serviceNet = SERVICE_PROCESSES[ctx.mode].reduce((sum, name) => sum + cpuMsNet[name], 0);
  const errors = [...direct, ...service].filter((s) => s.error);

  const level: BurstLevel = {
    mode: ctx.mode,
    streams,
    rounds,
    directTtft,
    serviceTtft,
    addedTtftP50: serviceTtft.p50 - directTtft.p50,
    addedTtftP99: serviceTtft.p99 - directTtft.p99,
    post: stats(defined(service, (s) => s.postMs)),
    provider: stats(defined(service, (s) => s.providerMs)),
    created: stats(defined(service, (s) => s.createdMs)),
    runStep: stats(defined(service, (s) => s.runStepMs)),
    directTokensPerSecond: Math.round(directTokensPerSecond),
    serviceTokensPerSecond: Math.round(serviceTokensPerSecond),
    tokensRatio: Math.round((serviceTokensPerSecond / directTokensPerSecond) * 1000) / 1000,
    cpuMsRaw: Object.fromEntries(names.map((n) => [n, round1(cpuMsRaw[n])])),
    cpuMsNet: Object.fromEntries(names.map((n) => [n, round1(cpuMsNet[n])])),
    cpuMsPerStream: Object.fromEntries(names.map((n) => [n, Math.round((cpuMsNet[n] / service.length) * 100) / 100])),
    cpuMsPer40Tokens: Math.round((serviceNet / Math.max(1, tokensService)) * CPU_TARGET_TOKENS * 100) / 100,
    cpuMsPerBurstStream: Math.round((serviceNet / service.length) * 100) / 100,
    tokensService,
    tokensDirect: direct.reduce((sum, x) => sum + x.tokens, 0),
    lost: service.reduce((sum, x) => sum + x.lost, 0),
    duplicated: service.reduce((sum, x) => sum + x.duplicated, 0),
    textMismatches: service.filter((s) => s.textMismatch).length,
    finalMismatches: service.filter((s) => s.finalMismatch).length,
    errors: errors.length,
    failures: [...failuresOf('direct', direct), ...failuresOf('service', service)],
    quiet: {
      maxWaitedMs: Math.max(...results.map((r) => r.quiet.waitedMs)),
      maxBusy: Math.max(...results.map((r) => r.quiet.busy)),
    },
    othersPercent: Math.round(results.reduce((sum, r) => sum + r.cpu.others, 0) / results.length),
    profiles,
    target: BURST_TARGETS[streams],
    misses: [],
    pass: null,
  };
  judgeBurst(level);
  printBurstLevel(level, results);
  return level;
}

/** Fills `misses` and `pass` from the level's targets; every stream must also have passed the zero-loss check. */
function judgeBurst(l: BurstLevel): void {
  const t = l.target;
  if (l.failures.length > 0) l.misses.push(`${l.failures.length} failed streams`);
  if (t) {
    if (!(l.addedTtftP50 <= t.addedTtftP50Ms)) l.misses.push('TTFT p50');
    if (t.addedTtftP99Ms !== undefined && !(l.addedTtftP99 <= t.addedTtftP99Ms)) l.misses.push('TTFT p99');
    if (t.tokensRatio !== undefined && !(l.tokensRatio >= t.tokensRatio)) l.misses.push('tokens/s');
    if (t.cpu && !(l.cpuMsPer40Tokens <= CPU_TARGET_MS[l.mode])) l.misses.push('CPU');
  }
  l.pass = t || l.misses.length > 0 ? l.misses.length === 0 : null;
}

function targetText(l: BurstLevel): string {
  const t = l.target;
  if (!t) return '—';
  const parts = [`p50 ≤ ${t.addedTtftP50Ms}`];
  if (t.addedTtftP99Ms !== undefined) parts.push(`p99 ≤ ${t.addedTtftP99Ms}`);
  if (t.tokensRatio !== undefined) parts.push(`tok/s ≥ ${t.tokensRatio}×`);
  if (t.cpu) parts.push(`CPU ≤ ${CPU_TARGET_MS[l.mode]} ms`);
  return parts.join(', ');
}

function printBurstLevel(l: BurstLevel, rounds: BurstRound[]): void {
  const part = (label: string, v: Stats): string => `${label} ${ms(v.p50, 0)}/${ms(v.p99, 0)}`;
  console.log(
    `\n--- burst of ${l.streams} at once, ${l.mode} (${l.rounds} rounds; ${BURST_PACE.tokens} tokens ` +
      `${BURST_PACE.intervalMs} ms apart) — ${l.pass === null ? 'no target' : l.pass ? 'PASS' : `MISS: ${l.misses.join(', ')}`} ---`,
  );
  console.log(
    `TTFT ms      service p50 ${ms(l.serviceTtft.p50)} p99 ${ms(l.serviceTtft.p99)} | direct p50 ` +
      `${ms(l.directTtft.p50)} p99 ${ms(l.directTtft.p99)} | added p50 ${ms(l.addedTtftP50)} p99 ${ms(l.addedTtftP99)}`,
  );
  console.log(
    `service TTFT parts, ms after the POST started, p50/p99: ${part('POST answered', l.post)}, ` +
      `${part('provider called', l.provider)}, ${part('created frame', l.created)}, ` +
      `${part('on_run_step frame', l.runStep)}, ${part('first token', l.serviceTtft)}`,
  );
  console.log(
    `tokens/s     service ${l.serviceTokensPerSecond} | direct ${l.directTokensPerSecond} (${l.tokensRatio}×); ` +
      `tokens ${l.tokensService}/${l.tokensDirect}; lost ${l.lost} dup ${l.duplicated} mismatched ` +
      `${l.textMismatches} final-mismatched ${l.finalMismatches}; errors ${l.errors}`,
  );
  const perStream = Object.entries(l.cpuMsPerStream)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `CPU ms per stream (the service's less idle): ${perStream}; the service per ${CPU_TARGET_TOKENS}-token stream ` +
      `${l.cpuMsPer40Tokens} (per ${BURST_PACE.tokens}-token stream ${l.cpuMsPerBurstStream})`,
  );
  for (const [i, r] of rounds.entries()) {
    console.log(
      `  round ${i + 1}: CPU ${cpuLine(r.cpu, { loopMax: true })}; waited ${(r.quiet.waitedMs / 1000).toFixed(0)} s ` +
        `for a quiet machine (busy ${r.quiet.busy}%)`,
    );
  }
  for (const failure of l.failures.slice(0, 20)) console.log(`FAILED ${failure}`);
  if (l.failures.length > 20) console.log(`… and ${l.failures.length - 20} more failed streams`);
  if (l.profiles) console.log(`CPU profiles of this level (${l.mode}): ${l.profiles.join(', ')}`);
}

/** Warm-up (not measured), then every level, in one mode. */
async function runBurst(ctx: BurstContext): Promise<BurstLevel[]> {
  const largest = Math.max(...BURST_LEVELS);
  const warm = await fireBurst(
    ctx.users
      .slice(0, largest)
      .map((user, i) => prepareServiceStream(ctx.apiUrl, user, `bw${ctx.mode[0]}s${i}`, BURST_PACE)),
  );
  const warmFailures = failuresOf('service', warm.samples);
  if (warmFailures.length > 0) throw new Error(`burst warm-up failed:\n${warmFailures.slice(0, 5).join('\n')}`);
  await fireBurst(
    Array.from({ length: largest }, (_, i) =>
      prepareDirectStream(ctx.standIn.baseURL, `bw${ctx.mode[0]}d${i}`, BURST_PACE),
    ),
  );
  console.log(
    `\nburst warm-up (${ctx.mode}): ${largest} at once through the service and direct, every token delivered`,
  );
  const levels: BurstLevel[] = [];
  for (const streams of BURST_LEVELS) levels.push(await runBurstLevel(ctx, streams));
  return levels;
}

function printBurstSummary(levels: BurstLevel[]): void {
  console.log(
    `\n##### Burst: N chats started at the same instant, ${BURST_PACE.tokens} tokens ${BURST_PACE.intervalMs} ms apart #####`,
  );
  const rows = levels.map((l) => {
    const cpu = SERVICE_PROCESSES[l.mode].map((n) => l.cpuMsPerStream[n].toFixed(1)).join(' / ');
    return [
      String(l.streams),
      l.mode,
      `${l.addedTtftP50.toFixed(1)} / ${l.addedTtftP99.toFixed(1)}`,
      `${l.post.p50.toFixed(1)} / ${l.post.p99.toFixed(1)}`,
      `${l.tokensRatio.toFixed(2)}× (${l.serviceTokensPerSecond} / ${l.directTokensPerSecond})`,
      l.mode === 'embedded' ? `api ${cpu}` : cpu,
      l.cpuMsPer40Tokens.toFixed(1),
      targetText(l),
      l.pass === null ? '—' : l.pass ? 'PASS' : `MISS (${l.misses.join(', ')})`,
    ];
  });
  const header = [
    'N at once',
    'mode',
    'TTFT added p50 / p99 ms',
    'POST p50 / p99 ms',
    'tokens/s vs direct',
    'CPU ms/stream api/worker/redis/pg',
    `CPU ms per ${CPU_TARGET_TOKENS}-token stream`,
    'target',
    'PASS/MISS',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i < 2 || i >= 7 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w, i) => (i < 2 || i >= 7 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
  for (const row of rows) console.log(line(row));
  console.log(
    `(TTFT added = service − direct, each from the request start to the first content token; tokens/s = all ` +
      `tokens over the wall time from the burst start to the last token, summed over the rounds; CPU = ms of ` +
      `each process from the burst start to ${BURST_TAIL_MS} ms after its last stream, less the process's idle ` +
      `rate over that time, per stream; the ${CPU_TARGET_TOKENS}-token figure is the service's processes' CPU per ` +
      `delivered token × ${CPU_TARGET_TOKENS}, which also scales the per-stream part down: a lower bound, the ` +
      `${BURST_PACE.tokens}-token figure the upper one; the CPU target is judged at N = 100. ` +
      `Distributed CPU: api / worker / redis / pg; embedded: the one process.)`,
  );
  console.log(
    `Other people's work on the machine during the service bursts (mean % of one core, of ${cpuCount() * 100}%): ` +
      levels.map((l) => `${l.streams} ${l.mode} ${l.othersPercent}%`).join(', '),
  );
}

/** Which scenarios run: BENCH_SCENARIOS=staggered or =burst runs one alone. */
const SCENARIOS = listFromEnv('BENCH_SCENARIOS', ['staggered', 'burst'] as const);

/** The staggered scenario's results, as the results file has always held them (its top-level keys). */
interface StaggeredResults {
  levels: Level[];
  search: Level[];
  held: number;
  memory: MemoryResult | null;
  pass: boolean;
}

/** The staggered scenario: every level, the search for the most streams held, the memory per connection. */
async function runStaggered(service: BenchService, users: BenchUser[]): Promise<StaggeredResults> {
  const { api, worker, standIn, hooks, meter } = service;
  const apiUrl = api.baseUrl;
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
  return { levels, search, held, memory, pass };
}

/** The results file as an earlier run left it (a scenario that did not run keeps its figures), or nothing. */
function previousResults(): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const staggeredOn = SCENARIOS.includes('staggered');
  const burstModes = SCENARIOS.includes('burst') ? BURST_MODES : [];
  const burstUsers = burstModes.length > 0 ? Math.max(...BURST_LEVELS) : 0;
  console.log(
    `scenarios: ${SCENARIOS.join(', ')}` +
      (burstModes.length > 0 ? `; burst levels ${BURST_LEVELS.join(', ')} in ${burstModes.join(' and ')} mode` : ''),
  );
  let staggered: StaggeredResults | undefined;
  const burst: BurstLevel[] = [];

  if (staggeredOn || burstModes.includes('distributed')) {
    await runBench('streaming', { cpuProfile: CPU_PROFILE }, async (service) => {
      const users = await createUsers(service.api.baseUrl, Math.max(staggeredOn ? USERS : 0, burstUsers));
      console.log(`${users.length} users, one agent each (provider openai → the stand-in)`);
      if (staggeredOn) staggered = await runStaggered(service, users.slice(0, USERS));
      if (burstModes.includes('distributed')) {
        const { api, worker, standIn, hooks, meter } = service;
        burst.push(
          ...(await runBurst({
            mode: 'distributed',
            apiUrl: api.baseUrl,
            standIn,
            meter,
            users,
            profile: CPU_PROFILE ? { hooks, processes: [api, worker] } : undefined,
          })),
        );
      }
    });
  }
  if (burstModes.includes('embedded')) {
    await runEmbeddedBench('streaming', { cpuProfile: CPU_PROFILE }, async ({ api, standIn, hooks, meter }) => {
      const users = await createUsers(api.baseUrl, burstUsers);
      console.log(`embedded: ${users.length} users, one agent each (provider openai → the stand-in)`);
      burst.push(
        ...(await runBurst({
          mode: 'embedded',
          apiUrl: api.baseUrl,
          standIn,
          meter,
          users,
          profile: CPU_PROFILE ? { hooks, processes: [api] } : undefined,
        })),
      );
    });
  }
  if (burst.length > 0) printBurstSummary(burst);
  const burstPass = burst.every((l) => l.pass !== false);

  const totalSeconds = Math.round((performance.now() - started) / 100) / 10;
  writeResults(
    RESULTS_FILE,
    {
      ...previousResults(),
      ...(staggered
        ? {
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
            ...staggered,
            targets: { ttft: TTFT_TARGET, held: HELD_TARGET },
            totalSeconds,
          }
        : {}),
      ...(burst.length > 0
        ? {
            burst: {
              generatedAt: new Date().toISOString(),
              node: process.version,
              cpus: cpuCount(),
              parameters: {
                levels: BURST_LEVELS,
                modes: burstModes,
                rounds: Object.fromEntries(BURST_LEVELS.map((n) => [n, burstRounds(n)])),
                tokensPerStream: BURST_PACE.tokens,
                tokenIntervalMs: BURST_PACE.intervalMs,
                tailMs: BURST_TAIL_MS,
                cpuTargetTokens: CPU_TARGET_TOKENS,
              },
              targets: { levels: BURST_TARGETS, cpuMs: CPU_TARGET_MS },
              levels: burst,
              pass: burstPass,
              totalSeconds,
            },
          }
        : {}),
    },
    started,
  );
  if ((staggered && !staggered.pass) || !burstPass) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
