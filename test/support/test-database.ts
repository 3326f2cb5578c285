import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../libs/core/src/database/data-source-options';

/** The server tests use; CI and developers have PostgreSQL on 127.0.0.1:5432 with trust auth. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function runId(): string {
  const id = process.env.AGENTS_TEST_RUN;
  if (!id) throw new Error('AGENTS_TEST_RUN is not set: run tests through jest (global setup creates it)');
  return id;
}

export const templateName = (run: string): string => `agents_tpl_${run}`;

/** Builds this run's template database from the migrations (global setup). */
export async function createTemplate(run: string): Promise<void> {
  await withAdmin((c) => c.query(`CREATE DATABASE ${templateName(run)}`));
  const ds = new DataSource(dataSourceOptions({ databaseUrl: urlFor(templateName(run)), dbPoolSize: 2 }));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'all' });
  await ds.destroy();
}

/** Drops every database this run created (global teardown). */
export async function dropRunDatabases(run: string): Promise<void> {
  await withAdmin(async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
      [`agents_t_${run}_%`, templateName(run)],
    );
    for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  });
}

/**
 * A fresh database for one test file, cloned from the migrated template: isolated from every other
 * file, and as fast as a file copy.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const run = runId();
  const name = `agents_t_${run}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateName(run)}`));
  return {
    url: urlFor(name),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
