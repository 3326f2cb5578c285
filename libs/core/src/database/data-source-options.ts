import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import type { EmbeddedEndpoint } from './embedded-postgres';
import { MIGRATIONS } from './migrations';

/** Connection options for both run modes: the same driver, the same migrations. */
export function dataSourceOptions(
  config: Pick<AppConfig, 'databaseUrl' | 'dbPoolSize'>,
  embedded?: EmbeddedEndpoint,
): DataSourceOptions {
  const connection = embedded
    ? { host: embedded.host, port: embedded.port, username: 'postgres', database: 'postgres' }
    : { url: config.databaseUrl };
  return {
    type: 'postgres',
    ...connection,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'all',
    logging: false,
    extra: {
      max: embedded ? 1 : config.dbPoolSize,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 30_000,
      application_name: 'agents-api',
    },
  };
}
