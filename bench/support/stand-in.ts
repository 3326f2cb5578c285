/**
 * The stand-in provider of the streaming benches: test/support/fake-openai.ts in a child process of
 * its own (so its CPU is not the client's), sending each stream's tokens at a fixed pace. This file
 * is also that child's entry point (`--stand-in`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeOpenAI, type FakeRequestBody, type FakeScript } from '../../test/support/fake-openai';

/** BENCH_TOKENS changes it (e.g. to split a stream's CPU cost into a per-stream and a per-token part). */
export const TOKENS_PER_STREAM = Number(process.env.BENCH_TOKENS ?? 40);
/** 20 tokens/s per stream. The stand-in also waits this long before the first token. */
export const TOKEN_INTERVAL_MS = 50;
export const STREAM_MS = TOKENS_PER_STREAM * TOKEN_INTERVAL_MS;
/** How long the stand-in keeps an "idle" stream silent (they are aborted long before). */
const IDLE_HOLD_MS = 45_000;
const STAND_IN_FLAG = '--stand-in';

/** How many tokens a stream gets and how far apart (the first also comes this long after the request). */
export interface Pace {
  tokens: number;
  intervalMs: number;
}

/** The default pace (40 tokens at 20 tokens/s); a prompt can ask for another one. */
export const DEFAULT_PACE: Pace = { tokens: TOKENS_PER_STREAM, intervalMs: TOKEN_INTERVAL_MS };

/** The tokens the stand-in sends for a stream tag: unique, so a lost or repeated one is visible. */
export function tokensFor(tag: string, count = TOKENS_PER_STREAM): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}:${i} `);
}

/** `bench <tag> <mode>`, plus ` <tokens>x<interval ms>` when the pace is not the default one. */
export function promptFor(tag: string, mode: 'stream' | 'idle', pace: Pace = DEFAULT_PACE): string {
  const custom = pace.tokens !== DEFAULT_PACE.tokens || pace.intervalMs !== DEFAULT_PACE.intervalMs;
  return `bench ${tag} ${mode}${custom ? ` ${pace.tokens}x${pace.intervalMs}` : ''}`;
}

/** How many of the expected tokens never arrived, and how many arrived more than once (or unasked). */
export function compareTokens(expected: string[], received: string[]): { lost: number; duplicated: number } {
  const counts = new Map<string, number>();
  for (const token of received) counts.set(token, (counts.get(token) ?? 0) + 1);
  const wanted = new Set(expected);
  let duplicated = 0;
  for (const [token, count] of counts) duplicated += wanted.has(token) ? count - 1 : count;
  return { lost: expected.filter((t) => !counts.has(t)).length, duplicated };
}

/** Wall-clock time (ms, sub-ms precision, comparable across processes) of this process's clock. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** In the stand-in: when the request of each stream tag arrived (the worker's provider call). */
const arrivals = new Map<string, number>();

/** The stand-in's script for one request, read from the last user message (`bench <tag> <mode>`). */
function scriptFor(body: FakeRequestBody): FakeScript {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  const match =
    typeof last?.content === 'string' ? /^bench (\S+) (stream|idle)(?: (\d+)x(\d+))?$/.exec(last.content) : null;
  if (!match) return { tokens: ['Hello', ' world'] };
  const [, tag, mode, tokens, intervalMs] = match;
  arrivals.set(tag, wallNow());
  const pace: Pace = tokens ? { tokens: Number(tokens), intervalMs: Number(intervalMs) } : DEFAULT_PACE;
  return {
    tokens: tokensFor(tag, pace.tokens),
    firstTokenDelayMs: mode === 'idle' ? IDLE_HOLD_MS : pace.intervalMs,
    tokenDelayMs: pace.intervalMs,
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

if (process.argv.includes(STAND_IN_FLAG)) void runStandIn();
