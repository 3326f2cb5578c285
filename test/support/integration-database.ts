import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AclEntryEntity } from '@agents/acl';
import { AgentEntity } from '@agents/agents';
import { GroupEntity, GroupMemberEntity, UserEntity } from '@agents/auth';
import { DatabaseService, dataSourceOptions } from '@agents/core';
import { AgentVersionEntity } from '@agents/versions';
import { createTestDatabase } from './test-database';

export interface IntegrationDatabase {
  dataSource: DataSource;
  db: DatabaseService;
  close: () => Promise<void>;
}

/**
 * A real PostgreSQL database for one integration test file (cloned from the migrated template),
 * with a connected DataSource and the real DatabaseService on top of it.
 */
export async function openIntegrationDatabase(poolSize = 4): Promise<IntegrationDatabase> {
  const database = await createTestDatabase();
  const dataSource = new DataSource({
    ...dataSourceOptions({ databaseUrl: database.url, dbPoolSize: poolSize }),
    entities: [UserEntity, GroupEntity, GroupMemberEntity, AgentEntity, AgentVersionEntity, AclEntryEntity],
  });
  await dataSource.initialize();
  return {
    dataSource,
    db: new DatabaseService(dataSource, null),
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    },
  };
}

/** Inserts a user row directly (the repositories under test need real foreign keys). */
export async function insertUser(dataSource: DataSource, overrides: Partial<UserEntity> = {}): Promise<UserEntity> {
  const now = new Date();
  const user = dataSource.manager.create(UserEntity, {
    email: `${randomUUID()}@example.com`,
    name: 'Test User',
    passwordHash: 'scrypt$not-a-real-hash',
    role: 'USER',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  });
  return dataSource.manager.save(user);
}
