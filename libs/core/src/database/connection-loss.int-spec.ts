import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { LoadReport } from '@agents/testing/connection-loss-load';
import { cleanEnv } from '@agents/testing/process';
import { ADMIN_URL, createTestDatabase } from '@agents/testing/test-database';

const ROOT = join(__dirname, '../../../..');
const DURATION_MS = 4_000;
const KILL_EVERY_MS = 120;

interface LoadRun {
  /** Resolves when the load has connected and started. */
  ready: Promise<void>;
  /** Resolves with the exit code, the report and the error output. */
  done: Promise<{ code: number | null; report?: LoadReport; stderr: string }>;
}

/** Runs the load in a child process. */
function runLoad(databaseUrl: string): LoadRun {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      join(ROOT, 'test/support/connection-loss-load.ts'),
    ],
    {
      cwd: ROOT,
      env: cleanEnv({ DATABASE_URL: databaseUrl, DURATION_MS: String(DURATION_MS) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; report?: LoadReport; stderr: string }>((resolve) =>
    child.once('exit', (code) => {
      onReady();
      // Log lines (retries) share stdout with the report, which is the one JSON line.
      const line = stdout.split('\n').find((l) => l.startsWith('{"reads"'));
      resolve({ code, stderr, report: line ? (JSON.parse(line) as LoadReport) : undefined });
    }),
  );
  return { ready, done };
}

/**
 * Every backend of the database is terminated (pg_terminate_backend, as an operator, a failover or
 * a connection pooler's restart would) every 120 ms while reads, prepared queries, transactions and
 * held connections run. No process may die of it, and reads are retried on new connections.
 */
describe('lost database connections', () => {
  it('crash no process; reads are retried; the rest fails as "database unavailable" (503)', async () => {
    const database = await createTestDatabase();
    const name = new URL(database.url).pathname.slice(1);
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    let terminated = 0;
    let running = true;
    try {
      const load = runLoad(database.url);
      const killer = (async () => {
        await load.ready;
        while (running) {
          const { rowCount } = await admin.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [name],
          );
          terminated += rowCount ?? 0;
          await sleep(KILL_EVERY_MS);
        }
      })();
      const { code, report, stderr } = await load.done;
      running = false;
      await killer;

      expect({ code, stderr: stderr.slice(0, 2_000) }).toEqual({ code: 0, stderr: '' });
      expect(terminated).toBeGreaterThan(10);
      expect(report!.reads.failed).toEqual([]);
      expect(report!.reads.ok).toBeGreaterThan(50);
      expect(report!.prepared.failed).toEqual([]);
      expect(report!.prepared.ok).toBeGreaterThan(10);
      expect(report!.transactions.ok).toBeGreaterThan(10);
      // A transaction is not retried here (its caller decides), but its failure must read as the
      // database being unavailable, which the HTTP layers answer with 503 and Retry-After.
      expect(report!.transactions.failed.filter((f) => !f.unavailable)).toEqual([]);
      expect(report!.held.failed).toEqual([]);
    } finally {
      running = false;
      await admin.end();
      await database.drop();
    }
  });
});
