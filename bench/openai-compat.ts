/**
 * Benchmark of the OpenAI-compatible streaming route, `POST /api/agents/v1/chat/completions` with
 * `stream: true` (issue 4, part two): the official `openai` SDK reads completions through the
 * service (the built api and worker, real PostgreSQL and Redis, an API key) and straight from the
 * same stand-in provider, in the same run, at 1 and 100 concurrent clients. Setup, the stand-in and
 * the measuring helpers are bench/support's, shared with bench/streaming.ts. See bench/README.md.
 * Run with `npm run bench:openai-compat` after `npm run build`.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { requestJson } from './support/client';
import { type CpuMeter, type CpuReport, cpuCount, waitForQuiet } from './support/cpu';
import { cpuLine, errorsPart, ms, printLatencies, writeResults } from './support/report';
import { createUsers, runBench } from './support/service';
import { STREAM_MS, type StandIn, compareTokens, promptFor, tokensFor, wallNow } from './support/stand-in';
import { type Stats, stats } from './support/stats';

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

const LEVELS = [1, 100] as const;
/** Completions each client runs back to back: enough samples at 1, a steady plateau at 100. */
const roundsAt = (clients: number): number => (clients === 1 ? 20 : 5);
/** Each user holds at most this many generations (the per-user limit is at most 100). */
const CLIENTS_PER_USER = 50;
const USERS = Math.ceil(Math.max(...LEVELS) / CLIENTS_PER_USER);
const TARGET = { clients: 100, addedTtftP50Ms: 15 };
const REQUEST_TIMEOUT_MS = 60_000;
const RESULTS_FILE = join(__dirname, '.results', 'openai-compat.json');

// ---------------------------------------------------------------------------------------------
// One streamed completion through an OpenAI SDK client
// ---------------------------------------------------------------------------------------------

interface Sample {
  tag: string;
  startedWall: number;
  error?: string;
  /** Request start → first content delta. */
  ttftMs?: number;
  /** Service only: request start → the worker's provider request reached the stand-in. */
  providerMs?: number;
  gaps: number[];
  tokens: number;
  lost: number;
  duplicated: number;
  mismatched: boolean;
  lastTokenAt?: number;
}

async function completion(client: OpenAI, model: string, tag: string): Promise<Sample> {
  const expected = tokensFor(tag);
  const startedWall = wallNow();
  const start = performance.now();
  const received: string[] = [];
  const gaps: number[] = [];
  let first: number | undefined;
  let last: number | undefined;
  let error: string | undefined;
  let finished = false;
  try {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: promptFor(tag, 'stream') }],
      stream: true,
    });
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      const content = choice?.delta?.content;
      if (content) {
        const at = performance.now();
        if (last !== undefined) gaps.push(at - last);
        else first = at;
        last = at;
        received.push(content);
      }
      if (choice?.finish_reason) finished = true;
    }
    if (!finished) error = 'no finish_reason';
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  return {
    tag,
    startedWall,
    error,
    ttftMs: first === undefined ? undefined : first - start,
    gaps,
    tokens: received.length,
    ...compareTokens(expected, received),
    mismatched: received.join('') !== expected.join(''),
    lastTokenAt: last,
  };
}

// ---------------------------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------------------------

interface Phase {
  mode: 'service' | 'direct';
  clients: number;
  rounds: number;
  samples: number;
  ttft: Stats;
  itl: Stats;
  provider?: Stats;
  tokens: number;
  tokensPerSecond: number;
  lost: number;
  duplicated: number;
  mismatched: number;
  errors: number;
  errorExamples: string[];
  quiet: { waitedMs: number; busy: number };
  cpu: CpuReport;
  cpuMsPerCompletion: Record<string, number>;
}

let phaseCounter = 0;

/** `clients` clients, client i starting at i/clients of a stream's length, each running `rounds` completions. */
async function runPhase(
  mode: 'service' | 'direct',
  clients: number,
  meter: CpuMeter,
  one: (client: number, tag: string) => Promise<Sample>,
  standIn?: StandIn,
): Promise<Phase> {
  const rounds = roundsAt(clients);
  const phase = `oc${++phaseCounter}`;
  const quiet = await waitForQuiet();
  await standIn?.arrivals(); // forget earlier phases' arrivals
  const before = await meter.snapshot();
  const t0 = performance.now();
  const perClient = await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      await sleep((client * STREAM_MS) / clients);
      const samples: Sample[] = [];
      for (let round = 0; round < rounds; round++) samples.push(await one(client, `${phase}c${client}r${round}`));
      return samples;
    }),
  );
  const cpu = await meter.since(before);
  const samples = perClient.flat();
  const arrivals = await standIn?.arrivals();
  for (const sample of samples) {
    const arrival = arrivals?.get(sample.tag);
    if (arrival !== undefined) sample.providerMs = arrival - sample.startedWall;
  }
  const lastToken = Math.max(...samples.map((s) => s.lastTokenAt ?? 0));
  const tokens = samples.reduce((sum, s) => sum + s.tokens, 0);
  const defined = (values: (number | undefined)[]): number[] => values.filter((v): v is number => v !== undefined);
  const errors = samples.filter((s) => s.error);
  return {
    mode,
    clients,
    rounds,
    samples: samples.length,
    ttft: stats(defined(samples.map((s) => s.ttftMs))),
    itl: stats(samples.flatMap((s) => s.gaps)),
    ...(standIn ? { provider: stats(defined(samples.map((s) => s.providerMs))) } : {}),
    tokens,
    tokensPerSecond: Math.round(tokens / ((lastToken - t0) / 1000)),
    lost: samples.reduce((sum, s) => sum + s.lost, 0),
    duplicated: samples.reduce((sum, s) => sum + s.duplicated, 0),
    mismatched: samples.filter((s) => s.mismatched).length,
    errors: errors.length,
    errorExamples: [...new Set(errors.map((s) => s.error!))].slice(0, 3),
    quiet,
    cpu,
    cpuMsPerCompletion: Object.fromEntries(
      Object.entries(cpu.ms).map(([k, v]) => [k, Math.round((v / Math.max(1, samples.length)) * 10) / 10]),
    ),
  };
}

interface Level {
  clients: number;
  direct: Phase;
  service: Phase;
  addedTtftP50: number;
  addedTtftP99: number;
  addedItlP50: number;
  addedItlP99: number;
}

function printLevel(l: Level): void {
  const s = l.service;
  const d = l.direct;
  console.log(`\n--- ${l.clients} concurrent clients (${s.rounds} completions each, ${s.samples} per side) ---`);
  printLatencies(l);
  if (s.provider) {
    console.log(
      `service: provider called ${ms(s.provider.p50, 0)}/${ms(s.provider.p99, 0)} ms (p50/p99) after the request`,
    );
  }
  console.log(
    `tokens/s     service ${s.tokensPerSecond} | direct ${d.tokensPerSecond}; tokens ${s.tokens}/${d.tokens}; ` +
      `lost ${s.lost} dup ${s.duplicated} mismatched ${s.mismatched}; ${errorsPart(s, d)}`,
  );
  const cpu = (c: CpuReport): string => cpuLine(c, { loopMax: false });
  console.log(`CPU service  ${cpu(s.cpu)}`);
  console.log(
    `CPU ms per completion (service): api ${s.cpuMsPerCompletion.api}, worker ${s.cpuMsPerCompletion.worker}, ` +
      `client ${s.cpuMsPerCompletion.client}`,
  );
  console.log(`CPU direct   ${cpu(d.cpu)}`);
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  await runBench('openai_compat', { cpuProfile: false }, async ({ api, standIn, meter }) => {
    // One API key per user: the service's clients authenticate as OpenAI clients do.
    const users = await createUsers(api.baseUrl, USERS);
    const keys = await Promise.all(
      users.map(async (user, i) => {
        const created = await requestJson(`${api.baseUrl}/api/api-keys`, 'POST', { name: `bench ${i}` }, user.auth);
        if (created.status !== 201) throw new Error(`POST /api/api-keys answered ${created.status}`);
        return created.body.key as string;
      }),
    );
    const options = { maxRetries: 0, timeout: REQUEST_TIMEOUT_MS };
    const serviceClients = keys.map(
      (apiKey) => new OpenAI({ ...options, apiKey, baseURL: `${api.baseUrl}/api/agents/v1` }),
    );
    const direct = new OpenAI({ ...options, apiKey: 'sk-bench', baseURL: standIn.baseURL });
    console.log(`${users.length} users, an API key and an agent each (provider openai → the stand-in)`);

    const viaService = (client: number, tag: string): Promise<Sample> =>
      completion(serviceClients[client % users.length], users[client % users.length].agentId, tag);
    const viaDirect = (_: number, tag: string): Promise<Sample> => completion(direct, 'gpt-4o', tag);

    // Warm-up: proves the route and the worker answer, and lets V8 optimise both paths.
    const warm = await runPhase('service', 20, meter, viaService);
    if (warm.errors > 0 || warm.mismatched > 0) {
      throw new Error(`warm-up failed: ${warm.errorExamples.join('; ')} (${warm.mismatched} mismatched)`);
    }
    await runPhase('direct', 20, meter, viaDirect);
    console.log('warm-up: 20 clients through the service, every token delivered');

    const levels: Level[] = [];
    for (const clients of LEVELS) {
      const d = await runPhase('direct', clients, meter, viaDirect);
      const s = await runPhase('service', clients, meter, viaService, standIn);
      const level: Level = {
        clients,
        direct: d,
        service: s,
        addedTtftP50: s.ttft.p50 - d.ttft.p50,
        addedTtftP99: s.ttft.p99 - d.ttft.p99,
        addedItlP50: s.itl.p50 - d.itl.p50,
        addedItlP99: s.itl.p99 - d.itl.p99,
      };
      printLevel(level);
      levels.push(level);
    }

    console.log(
      '\n##### POST /api/agents/v1/chat/completions (stream) through the service vs straight from the stand-in #####',
    );
    console.log(
      'clients'.padStart(8) +
        'TTFT+ p50'.padStart(11) +
        'TTFT+ p99'.padStart(11) +
        'ITL+ p50'.padStart(10) +
        'ITL+ p99'.padStart(10) +
        'svc tok/s'.padStart(11) +
        'dir tok/s'.padStart(11) +
        'lost'.padStart(6) +
        'dup'.padStart(5) +
        'errors'.padStart(8) +
        'api%'.padStart(6) +
        'wkr%'.padStart(6) +
        'oth%'.padStart(6),
    );
    for (const l of levels) {
      console.log(
        String(l.clients).padStart(8) +
          ms(l.addedTtftP50, 11) +
          ms(l.addedTtftP99, 11) +
          ms(l.addedItlP50, 10) +
          ms(l.addedItlP99, 10) +
          String(l.service.tokensPerSecond).padStart(11) +
          String(l.direct.tokensPerSecond).padStart(11) +
          String(l.service.lost).padStart(6) +
          String(l.service.duplicated).padStart(5) +
          String(l.service.errors).padStart(8) +
          String(l.service.cpu.percent.api).padStart(6) +
          String(l.service.cpu.percent.worker).padStart(6) +
          String(l.service.cpu.others).padStart(6),
      );
    }
    console.log(
      '(+ = service minus direct, ms; CPU % of one core during the service phase; oth% = used by processes ' +
        "that are not the bench's)",
    );
    const atTarget = levels.find((l) => l.clients === TARGET.clients)!;
    const pass = atTarget.addedTtftP50 <= TARGET.addedTtftP50Ms;
    console.log(
      `\n${pass ? 'PASS' : 'MISS'}: added TTFT p50 at ${TARGET.clients} clients ${atTarget.addedTtftP50.toFixed(1)} ms; ` +
        `target <= ${TARGET.addedTtftP50Ms} ms`,
    );

    writeResults(
      RESULTS_FILE,
      {
        generatedAt: new Date().toISOString(),
        node: process.version,
        cpus: cpuCount(),
        parameters: { levels: LEVELS, users: USERS, tokensPerStream: tokensFor('x').length },
        levels,
        target: TARGET,
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
