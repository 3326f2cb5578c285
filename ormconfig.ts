import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AgentEntity } from '@agents/agents';
import { UserEntity } from '@agents/auth';
import { dataSourceOptions } from '@agents/core';
import { AgentVersionEntity } from '@agents/versions';

/**
 * The data source the TypeORM CLI uses (`npm run migration:run`, `migration:generate`) against
 * DATABASE_URL. The apps build theirs from the same options.
 */
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL must be set to run the migration CLI');

export default new DataSource({
  ...dataSourceOptions({ databaseUrl, dbPoolSize: 2 }),
  entities: [UserEntity, AgentEntity, AgentVersionEntity],
});
