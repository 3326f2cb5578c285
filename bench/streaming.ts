/**
 * Benchmark of chat streaming through the service (issue 4). A stand-in provider emits tokens at a
 * fixed pace; the same client measures them through the service (the built api and worker as child
 * processes, real PostgreSQL and Redis) and straight from the stand-in (the baseline), in the same
 * run, at 1, 100 and 500 concurrent streams, then searches for the most streams held. The setup, the
 * stand-in, the client and the measuring helpers are in bench/support. See bench/README.md. Run with
 * `npm run bench:streaming` after `npm run build`.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningApi } from '../test/support/process';
import { pooled, readSse, requestJson } from './support/client';
import { type CpuMeter, type CpuReport, cpuCount, waitForQuiet } from './support/cpu';
import { cpuLine, errorsPart, ms, printLatencies, writeResults } from './support/report';
import { type AppHooks, type BenchUser, createUsers, runBench } from './support/service';
import {
  STREAM_MS,
  TOKENS_PER_STREAM,
  TOKEN_INTERVAL_MS,
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

    writeResults(
      RESULTS_FILE,
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
      started,
    );
    if (!pass) process.exitCode = 1;
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
