import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const API_MAIN = join(__dirname, '../../dist/apps/api/apps/api/src/main.js');
export const WORKER_MAIN = join(__dirname, '../../dist/apps/worker/apps/worker/src/main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningApi {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * The process environment without the variables that would switch the app to another mode, and
 * with generated titles off unless `extra` turns them on (TITLE_GENERATION): a title request would
 * change the titles and the usage other suites assert. The suites of titles turn them on.
 */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'PORT', 'DATA_DIR', 'CONFIG_PATH']) delete env[key];
  return { ...env, TITLE_GENERATION: 'false', ...extra };
}

/** Starts the built api (`npm start` without the build step) as a real child process. */
export function spawnApi(env: Record<string, string>): RunningApi {
  return spawnBuilt(API_MAIN, env);
}

/** Starts the built worker (`npm run start:worker`) as a real child process. */
export function spawnWorker(env: Record<string, string>): RunningApi {
  return spawnBuilt(WORKER_MAIN, env);
}

function spawnBuilt(main: string, env: Record<string, string>): RunningApi {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [main], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    baseUrl: `http://127.0.0.1:${env.PORT}`,
    output: () => output,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `url` until it answers `status`, or fails after `timeoutMs`. */
export async function waitFor(url: string, status = 200, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === status) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}
