import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@agents/core';
import { MIGRATIONS } from '@agents/core/database/migrations';

/** An admin connection to the PostgreSQL server the benches create their databases on. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of `database` on the bench's server. */
export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `work` on a fresh admin connection, closed afterwards. */
export async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function adminQuery(sql: string): Promise<void> {
  await withAdmin((c) => c.query(sql));
}

export async function createDatabase(name: string): Promise<void> {
  await adminQuery(`CREATE DATABASE ${name}`);
}

/** Drops the database even while connections to it are open. */
export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Runs every migration on the (empty) database, as the app would at start. */
export async function migrateDatabase(name: string): Promise<void> {
  const ds = new DataSource(dataSourceOptions({ databaseUrl: urlFor(name), dbPoolSize: 2 }));
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'all' });
    if (applied.length !== MIGRATIONS.length) {
      throw new Error(`expected ${MIGRATIONS.length} migrations to run, ran ${applied.length}`);
    }
  } finally {
    await ds.destroy();
  }
}

/** The server processes of the connections to the bench's database (the api's and the worker's pools). */
export async function backendsOf(pg: Client, database: string): Promise<number[]> {
  const { rows } = await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  return rows.map((r) => r.pid);
}
