/**
 * The service the streaming benches measure, in either run mode: distributed (a fresh database and
 * Redis database, the built api and worker as child processes) or embedded (the built api alone
 * with its own DATA_DIR); the stand-in provider, bench users, and hooks into the apps' processes
 * (memory after a full GC, CPU profiles).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { freePort, spawnApi, spawnWorker, waitFor, type RunningApi } from '../../test/support/process';
import { Cleanups, onInterrupt } from './cleanup';
import { agent, pooled, requestJson } from './client';
import { CpuMeter, cpuCount, steadyRssKb } from './cpu';
import { ADMIN_URL, backendsOf, createDatabase, dropDatabase, urlFor } from './database';
import { emptyRedisDb, redisPid } from './redis';
import { startStandIn, type StandIn } from './stand-in';

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
  readonly dir = join(__dirname, '..', '.results', 'hooks');
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

export interface BenchUser {
  auth: Record<string, string>;
  agentId: string;
}

/** Registers `count` users through the API, each with one `openai` agent (→ the stand-in). */
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

/** Fails early, with the fix, when `npm run build` has not produced the apps the bench spawns. */
function assertBuilt(apps: string[]): void {
  for (const app of apps) {
    if (!existsSync(join(__dirname, `../../dist/apps/${app}/apps/${app}/src/main.js`))) {
      throw new Error(`dist/apps/${app} is missing: run \`npm run build\` first`);
    }
  }
}

/** The settings both run modes share: limits raised so that only CPU bounds the service. */
function benchEnv(standIn: StandIn, hooks: AppHooks): Record<string, string> {
  return {
    JWT_SECRET: `bench-${randomBytes(24).toString('hex')}`,
    OPENAI_BASE_URL: standIn.baseURL,
    OPENAI_API_KEY: 'sk-bench',
    // Access logs off (warn): one info line per request would be measured too.
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    AUTH_RATE_LIMIT: '1000000',
    OPENAI_COMPAT_RATE_LIMIT: '1000000',
    MAX_CONCURRENT_GENERATIONS: '100',
    // Each bench user holds up to 50 streams (and the memory step 1000 in all): above the per-user cap.
    MAX_SSE_CONNECTIONS_PER_USER: '10000',
    // The worker's generations at once (the embedded api's own, in that mode).
    WORKER_CONCURRENCY: '2000',
    SHUTDOWN_DRAIN_SECONDS: '5',
    // A new conversation's title is one more provider call beside its first answer: off, as in the
    // tests, unless BENCH_TITLES=1 measures it too.
    TITLE_GENERATION: process.env.BENCH_TITLES === '1' ? 'true' : 'false',
    NODE_OPTIONS: `--require ${hooks.preload}`,
  };
}

/**
 * Starts what every streaming bench measures: a fresh database (`bench_<name>_…`) and an empty Redis
 * database, the stand-in in a child process, then the built api (which migrates) and worker with
 * limits raised so that only CPU bounds them. Everything is undone by `close()`, also when starting fails.
 */
export async function startBenchService(name: string, options: { cpuProfile: boolean }): Promise<BenchService> {
  assertBuilt(['api', 'worker']);
  const cleanups = new Cleanups();
  const close = (): Promise<void> => cleanups.run();
  const processes: RunningApi[] = [];
  try {
    const dbName = `bench_${name}_${process.pid}_${randomBytes(3).toString('hex')}`;
    await createDatabase(dbName);
    cleanups.push(() => dropDatabase(dbName));
    const redis = await emptyRedisDb();
    cleanups.push(redis.flush);
    const standIn = await startStandIn();
    cleanups.push(standIn.close);

    const hooks = new AppHooks(options.cpuProfile);
    const env: Record<string, string> = {
      ...benchEnv(standIn, hooks),
      DATABASE_URL: urlFor(dbName),
      REDIS_URL: redis.url,
      DB_POOL_SIZE: '20',
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
 * The embedded mode: the built api alone, with its own DATA_DIR (a temp dir: PGlite, generated
 * secrets) and no DATABASE_URL or REDIS_URL, so it runs the in-process queue and event bus and the
 * generations itself. The stand-in runs in its own process as in the distributed mode.
 */
export interface EmbeddedBenchService {
  api: RunningApi;
  standIn: StandIn;
  hooks: AppHooks;
  /** CPU of the api (everything the service does) and the stand-in. */
  meter: CpuMeter;
  dataDir: string;
  onClose(step: () => Promise<void>): void;
  close(): Promise<void>;
}

/** Starts the embedded mode (see {@link EmbeddedBenchService}); `close()` undoes it all, also when starting fails. */
export async function startEmbeddedBenchService(
  name: string,
  options: { cpuProfile: boolean },
): Promise<EmbeddedBenchService> {
  assertBuilt(['api']);
  const cleanups = new Cleanups();
  const close = (): Promise<void> => cleanups.run();
  let api: RunningApi | undefined;
  try {
    const dataDir = mkdtempSync(join(tmpdir(), `bench-${name}-embedded-`));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const standIn = await startStandIn();
    cleanups.push(standIn.close);
    const hooks = new AppHooks(options.cpuProfile);
    const running = spawnApi({ ...benchEnv(standIn, hooks), DATA_DIR: dataDir, PORT: String(await freePort()) });
    api = running;
    cleanups.push(() => stopProcess(running));
    await waitFor(`${running.baseUrl}/api/health/ready`, 200, 90_000); // creates and migrates its PGlite database
    console.log(
      `embedded: api pid ${running.child.pid} on ${running.baseUrl}, DATA_DIR ${dataDir}; ` +
        `stand-in pid ${standIn.child.pid} at ${standIn.baseURL}; node ${process.version}; ${cpuCount()} CPUs`,
    );
    const meter = new CpuMeter([
      { name: 'api', pids: () => [running.child.pid!] },
      { name: 'standIn', pids: () => [standIn.child.pid!] },
    ]);
    return { api: running, standIn, hooks, meter, dataDir, onClose: (step) => cleanups.push(step), close };
  } catch (err) {
    if (api) console.error(`--- output of pid ${api.child.pid} ---\n${api.output().slice(-4000)}`);
    await close();
    throw err;
  }
}

/**
 * Runs `body` against a service from `start`: on failure prints the output of its `processes`; on
 * success, failure or Ctrl-C undoes everything (open keep-alive streams are cut first, or they would
 * hold the api's graceful shutdown).
 */
async function runAgainst<S extends { close(): Promise<void> }>(
  start: () => Promise<S>,
  processes: (service: S) => RunningApi[],
  body: (service: S) => Promise<void>,
): Promise<void> {
  let service: S | undefined;
  const removeInterrupt = onInterrupt(() => {
    agent.destroy();
    return service?.close() ?? Promise.resolve();
  });
  try {
    service = await start();
    await body(service);
  } catch (err) {
    for (const p of service ? processes(service) : []) {
      console.error(`--- output of pid ${p.child.pid} ---\n${p.output().slice(-4000)}`);
    }
    throw err;
  } finally {
    agent.destroy();
    await service?.close();
    removeInterrupt();
  }
}

/** Runs a bench against a fresh distributed service (see {@link runAgainst}). */
export function runBench(
  name: string,
  options: { cpuProfile: boolean },
  body: (service: BenchService) => Promise<void>,
): Promise<void> {
  return runAgainst(
    () => startBenchService(name, options),
    (s) => [s.api, s.worker],
    body,
  );
}

/** Runs a bench against a fresh embedded service: the api alone (see {@link runAgainst}). */
export function runEmbeddedBench(
  name: string,
  options: { cpuProfile: boolean },
  body: (service: EmbeddedBenchService) => Promise<void>,
): Promise<void> {
  return runAgainst(
    () => startEmbeddedBenchService(name, options),
    (s) => [s.api],
    body,
  );
}
