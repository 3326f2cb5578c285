/**
 * Database load for the connection-loss drill (database/connection-loss.int-spec.ts), in a process
 * of its own so that an unhandled `error` event — which kills a Node process — shows as a non-zero
 * exit instead of disturbing the test runner. For DURATION_MS it keeps running, side by side:
 * plain reads through retryTransient, prepared list queries, short transactions, and connections
 * checked out and held idle. It prints `ready` once connected (start the terminations then), and
 * at the end one JSON line of what happened, and exits 0.
 *
 *   DATABASE_URL=… DURATION_MS=… node -r ts-node/register/transpile-only -r tsconfig-paths/register \
 *     test/support/connection-loss-load.ts
 */
import 'reflect-metadata';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { UserEntity } from '@agents/auth';
import { DatabaseService, dataSourceOptions, isDatabaseUnavailable, retryTransient } from '@agents/core';

export interface LoadReport {
  reads: { ok: number; failed: string[] };
  prepared: { ok: number; failed: string[] };
  transactions: { ok: number; failed: { message: string; unavailable: boolean }[] };
  held: { ok: number; failed: string[] };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const dataSource = new DataSource({
    ...dataSourceOptions({ databaseUrl, dbPoolSize: 8 }),
    entities: [UserEntity],
  });
  await dataSource.initialize();
  const until = Date.now() + Number(process.env.DURATION_MS ?? 3_000);
  process.stdout.write('ready\n');
  const db = new DatabaseService(dataSource, null);
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const report: LoadReport = {
    reads: { ok: 0, failed: [] },
    prepared: { ok: 0, failed: [] },
    transactions: { ok: 0, failed: [] },
    held: { ok: 0, failed: [] },
  };
  const loop = async (work: () => Promise<void>): Promise<void> => {
    while (Date.now() < until) {
      await work();
      await sleep(2);
    }
  };

  await Promise.all([
    ...Array.from({ length: 3 }, () =>
      loop(async () => {
        try {
          await retryTransient(() => dataSource.query('SELECT 1 AS one'));
          report.reads.ok++;
        } catch (err) {
          report.reads.failed.push(message(err));
        }
      }),
    ),
    loop(async () => {
      try {
        await db.getManyPrepared(
          dataSource.manager.createQueryBuilder(UserEntity, 'u').where('u.email = :email', { email: 'x@example.com' }),
        );
        report.prepared.ok++;
      } catch (err) {
        report.prepared.failed.push(message(err));
      }
    }),
    ...Array.from({ length: 2 }, () =>
      loop(async () => {
        try {
          await db.transaction(async (m) => {
            await m.query('SELECT 1');
            await sleep(10); // idle inside the transaction: the connection is checked out, no query running
            await m.query('SELECT 2');
          });
          report.transactions.ok++;
        } catch (err) {
          report.transactions.failed.push({ message: message(err), unavailable: isDatabaseUnavailable(err) });
        }
      }),
    ),
    loop(async () => {
      try {
        const client = await pool.connect();
        await sleep(20); // checked out and idle, as between taking a connection and using it
        client.release();
        report.held.ok++;
      } catch (err) {
        report.held.failed.push(message(err));
      }
    }),
  ]);
  await dataSource.destroy();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
