import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { DataSource, type EntityManager, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { isConnectionLost } from '../errors/database-errors';
import { ServiceUnavailableError } from '../errors/domain-errors';
import { EMBEDDED_POSTGRES } from './database.tokens';
import type { EmbeddedPostgres } from './embedded-postgres';
import { retryTransient } from './retry-transient';
import { retryingReads } from './retrying-reads';

const MIGRATION_LOCK_KEY = 7_240_111; // pg_advisory_lock key shared by every instance
const RETRY_MS = 2_000;
const DUPLICATE_PREPARED_STATEMENT = '42P05';

/** The name getManyPrepared gives the statement of `text`: the same text, the same name, on every connection. */
export function preparedStatementName(text: string): string {
  return `q_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
}

/**
 * `pg` remembers which statements it prepared per connection object, PostgreSQL per session. When
 * a session outlives its connection (the embedded server has one session for every connection)
 * the server may already hold `name` although this connection never prepared it (42P05): drop
 * the server's copy and prepare again.
 */
async function queryPrepared(
  pool: Pool,
  name: string,
  text: string,
  values: unknown[],
): Promise<Record<string, unknown>[]> {
  const client = await pool.connect();
  const run = async (): Promise<Record<string, unknown>[]> =>
    (await client.query<Record<string, unknown>>({ name, text, values })).rows;
  try {
    let rows: Record<string, unknown>[];
    try {
      rows = await run();
    } catch (err) {
      if ((err as { code?: unknown }).code !== DUPLICATE_PREPARED_STATEMENT) throw err;
      await client.query(`DEALLOCATE ${name}`);
      rows = await run();
    }
    client.release();
    return rows;
  } catch (err) {
    // A connection that failed under the query is closed, not handed out again.
    client.release(isConnectionLost(err) ? (err as Error) : undefined);
    throw err;
  }
}

function reason(err: unknown): string {
  const e = err as { message?: string; code?: string };
  return [e.code, e.message].filter(Boolean).join(' ') || String(err);
}

/**
 * Owns the connection lifecycle. A database that is down at boot is reported in one clear log
 * line and retried in the background; until it connects, routes answer 503 (never a crash loop).
 * Migrations run once connected, under an advisory lock so concurrent instances do not race.
 */
@Injectable()
export class DatabaseService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private timer?: NodeJS.Timeout;
  private connecting?: Promise<boolean>;
  private lastError?: string;
  private stopped = false;
  private reads?: EntityManager;

  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null,
  ) {}

  get ready(): boolean {
    return this.dataSource.isInitialized;
  }

  /**
   * The entity manager (its reads retried on a lost connection, see retryingReads), or a 503 when
   * the database is not connected.
   */
  get manager(): EntityManager {
    if (!this.ready) throw new ServiceUnavailableError('The database is unavailable; try again shortly');
    this.reads ??= retryingReads(this.dataSource.manager);
    return this.reads;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.manager.transaction(work);
  }

  /**
   * The manager to use for a statement that may run in the caller's transaction: `m` when given,
   * else null, meaning "outside any transaction" (where the prepared forms below apply).
   */
  inTransaction(m: EntityManager | undefined): EntityManager | null {
    return m === undefined || m === this.reads ? null : m;
  }

  /** {@link getManyPrepared}'s first entity, or null: for the hot lookups of every request. */
  async getOnePrepared<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<T | null> {
    return (await this.getManyPrepared(qb))[0] ?? null;
  }

  /** The raw rows of a read as a named prepared statement (see {@link getManyPrepared}). */
  async getRawManyPrepared<R>(qb: SelectQueryBuilder<ObjectLiteral>): Promise<R[]> {
    const [text, values] = qb.getQueryAndParameters();
    return (await retryTransient(() => queryPrepared(this.pool, preparedStatementName(text), text, values), {
      what: 'A prepared query',
    })) as R[];
  }

  /**
   * Runs one statement (a write, too) as a named prepared statement outside any transaction, once:
   * a write whose connection was lost is for the caller to retry, when it is safe to repeat.
   */
  async executePrepared<R>(text: string, values: unknown[]): Promise<R[]> {
    if (!this.ready) throw new ServiceUnavailableError('The database is unavailable; try again shortly');
    return (await queryPrepared(this.pool, preparedStatementName(text), text, values)) as R[];
  }

  private get pool(): Pool {
    return (this.manager.connection.driver as unknown as { master: Pool }).master;
  }

  /**
   * Runs a SELECT of one entity (no joins) as a named prepared statement, so PostgreSQL plans it
   * once per connection instead of on every call — for hot, structurally complex queries such as
   * the permission-filtered agent list. Outside any transaction; a read, so a lost connection is
   * retried on another.
   */
  async getManyPrepared<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<T[]> {
    return (await this.getRawAndManyPrepared(qb)).entities;
  }

  /**
   * {@link getManyPrepared}, also answering the raw rows (in the same order as the entities), for
   * queries that select computed columns beside the entity's.
   */
  async getRawAndManyPrepared<T extends ObjectLiteral>(
    qb: SelectQueryBuilder<T>,
  ): Promise<{ entities: T[]; raw: Record<string, unknown>[] }> {
    const { connection } = this.manager;
    const [text, values] = qb.getQueryAndParameters();
    const name = preparedStatementName(text);
    const rows = await retryTransient(() => queryPrepared(this.pool, name, text, values as unknown[]), {
      what: 'A prepared query',
    });
    const metadata = connection.getMetadata(qb.expressionMap.mainAlias!.target);
    const entities = rows.map((raw) => {
      const entity = metadata.create() as T;
      for (const column of metadata.columns) {
        const value = raw[`${qb.alias}_${column.databaseName}`];
        (entity as Record<string, unknown>)[column.propertyName] = connection.driver.prepareHydratedValue(
          value,
          column,
        );
      }
      return entity;
    });
    return { entities, raw: rows };
  }

  async onModuleInit(): Promise<void> {
    if (!(await this.connect())) this.scheduleRetry();
  }

  /** Resolves once connected and migrated (used by tests and tools). */
  async whenReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready) {
      if (Date.now() > deadline) throw new ServiceUnavailableError(`Database not ready: ${this.lastError}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.connect().then((ok) => ok || this.scheduleRetry());
    }, RETRY_MS);
    this.timer.unref();
  }

  private connect(): Promise<boolean> {
    this.connecting ??= this.tryConnect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async tryConnect(): Promise<boolean> {
    try {
      await this.dataSource.initialize();
    } catch (err) {
      const why = reason(err);
      if (why !== this.lastError) {
        this.logger.error(`Cannot connect to the database (${why}); retrying every ${RETRY_MS / 1000}s`);
      }
      this.lastError = why;
      return false;
    }
    try {
      await this.migrate();
    } catch (err) {
      await this.dataSource.destroy().catch(() => undefined);
      throw err; // a failing migration is a bug or a broken database: stop the boot
    }
    if (this.lastError) this.logger.log('Database connection established');
    this.lastError = undefined;
    return true;
  }

  private async migrate(): Promise<void> {
    if (this.embedded) {
      // One process owns the embedded database (pglite.lock) and its pool has one connection.
      await this.dataSource.runMigrations({ transaction: 'all' });
      return;
    }
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const applied = await this.dataSource.runMigrations({ transaction: 'all' });
      if (applied.length) this.logger.log(`Applied migrations: ${applied.map((m) => m.name).join(', ')}`);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await runner.release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.connecting?.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}
