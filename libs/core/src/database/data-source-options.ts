import { Logger } from '@nestjs/common';
import type { ClientBase, PoolConfig } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import type { EmbeddedEndpoint } from './embedded-postgres';
import { MIGRATIONS } from './migrations';

const logger = new Logger('Database');

/** pg-pool awaits `onConnect` before handing the connection out; its type definitions say `void`. */
type PoolOptions = Omit<PoolConfig, 'onConnect'> & { onConnect: (client: ClientBase) => Promise<void> };

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return [e.code, e.message].filter((part) => typeof part === 'string' && part).join(' ') || String(err);
}

/**
 * Runs once for every connection the pool opens, before anyone uses it.
 *
 * A connection that loses its server emits `error` on its client. The pool listens only while the
 * client is idle, and TypeORM only once its query runner has it: a connection checked out in
 * between — or one whose ReadyForQuery and a termination notice arrive in one packet — would
 * otherwise raise an unhandled `error` event and kill the process. The query (or the pool)
 * reports the failure; this listener only keeps it from being fatal.
 *
 * The embedded server keeps ONE PGlite session across connections, so a new connection would
 * inherit the old one's prepared statements, settings and locks, which neither the `pg` client
 * (whose statement cache is per connection) nor PostgreSQL semantics expect. DISCARD ALL gives
 * each connection the fresh session a PostgreSQL backend would.
 */
function onConnect(embedded: boolean): (client: ClientBase) => Promise<void> {
  return async (client) => {
    client.on('error', (err) => logger.debug(`A database connection failed: ${describe(err)}`));
    if (embedded) await client.query('DISCARD ALL');
  };
}

/** Connection options for both run modes: the same driver, the same migrations. */
export function dataSourceOptions(
  config: Pick<AppConfig, 'databaseUrl' | 'dbPoolSize'> & Partial<Pick<AppConfig, 'dbIdleTimeoutMs'>>,
  embedded?: EmbeddedEndpoint,
): DataSourceOptions {
  const connection = embedded
    ? { host: embedded.host, port: embedded.port, username: 'postgres', database: 'postgres' }
    : { url: config.databaseUrl };
  const pool: PoolOptions = {
    max: embedded ? 1 : config.dbPoolSize,
    connectionTimeoutMillis: 5_000,
    // The embedded connection costs nothing to keep and its session outlives it anyway: never idle it out.
    idleTimeoutMillis: config.dbIdleTimeoutMs ?? (embedded ? 0 : 30_000),
    statement_timeout: 30_000,
    application_name: 'agents-api',
    onConnect: onConnect(embedded !== undefined),
  };
  return {
    type: 'postgres',
    ...connection,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'all',
    logging: false,
    // A connection that dies while in the pool is removed by it and reported here; without a
    // handler the event would be unhandled.
    poolErrorHandler: (err: unknown) => logger.warn(`A pooled database connection was lost: ${describe(err)}`),
    extra: pool,
  };
}
