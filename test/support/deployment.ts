import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { freePort, spawnApi, spawnWorker, waitFor, type RunningApi } from './process';
import { suiteRedisUrl, type RedisSuite } from './redis';
import { TEST_JWT_SECRET } from './test-app';
import { createTestDatabase } from './test-database';

/** The distributed mode as deployed: built api and worker processes on real PostgreSQL and Redis. */
export interface Deployment {
  fake: FakeOpenAI;
  /** What every process of the deployment was started with. */
  env: Record<string, string>;
  apis: RunningApi[];
  workers: RunningApi[];
  /** Starts one more worker (with extra variables); it is stopped with the rest. */
  spawnWorker(extra?: Record<string, string>): RunningApi;
  /** Stops every process, the stand-in provider, and drops the database. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a stand-in provider, a fresh database, `apis` api instances and `workers` workers. The
 * first api migrates before the others start. `redis` names the suite's own Redis database, or
 * gives the URL of a Redis server the suite owns.
 */
export async function startDeployment(options: {
  redis: RedisSuite | { url: string };
  apis?: number;
  workers?: number;
  env?: Record<string, string>;
}): Promise<Deployment> {
  const fake = await startFakeOpenAI();
  const db = await createTestDatabase();
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: typeof options.redis === 'string' ? suiteRedisUrl(options.redis) : options.redis.url,
    JWT_SECRET: TEST_JWT_SECRET,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'sk-test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    AUTH_RATE_LIMIT: '100000',
    ...options.env,
  };
  const processes: RunningApi[] = [];
  const apis: RunningApi[] = [];
  const workers: RunningApi[] = [];
  const startApi = async (): Promise<RunningApi> => {
    const api = spawnApi({ ...env, PORT: String(await freePort()) });
    processes.push(api);
    apis.push(api);
    await waitFor(`${api.baseUrl}/api/health/ready`).catch((err: Error) => {
      throw new Error(`${err.message}\n--- api output ---\n${api.output()}`);
    });
    return api;
  };
  const deployment: Deployment = {
    fake,
    env,
    apis,
    workers,
    spawnWorker: (extra = {}) => {
      const worker = spawnWorker({ ...env, ...extra });
      processes.push(worker);
      workers.push(worker);
      return worker;
    },
    stop: async (signal = 'SIGTERM') => {
      await Promise.all(processes.map((p) => p.stop(signal)));
      await fake.close();
      await db.drop();
    },
  };
  try {
    await startApi(); // migrates first; the others start on a migrated database
    for (let i = 0; i < (options.workers ?? 1); i++) deployment.spawnWorker();
    await Promise.all(Array.from({ length: (options.apis ?? 1) - 1 }, startApi));
  } catch (err) {
    await deployment.stop('SIGKILL');
    throw err;
  }
  return deployment;
}

/** The embedded mode as a user starts it: one built api process on PGlite in a fresh DATA_DIR. */
export interface EmbeddedDeployment {
  fake: FakeOpenAI;
  api: RunningApi;
  /** The temporary folder holding DATA_DIR; removed by `stop`. */
  dir: string;
  /** Stops the process and the stand-in provider, and removes the folder. */
  stop(): Promise<void>;
}

/** Starts a stand-in provider and the embedded api (with `env` on top of the test settings). */
export async function startEmbedded(env: Record<string, string> = {}): Promise<EmbeddedDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'agents-embedded-'));
  const fake = await startFakeOpenAI();
  const api = spawnApi({
    DATA_DIR: join(dir, 'data'),
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT: '100000',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'sk-test',
    ...env,
  });
  const stop = async (): Promise<void> => {
    await api.stop('SIGTERM');
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`${api.baseUrl}/api/health/ready`);
  } catch (err) {
    const output = api.output();
    await stop();
    throw new Error(`${(err as Error).message}\n--- api output ---\n${output}`);
  }
  return { fake, api, dir, stop };
}
