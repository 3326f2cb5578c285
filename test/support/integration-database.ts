import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AclEntryEntity, roleBits } from '@agents/acl';
import { AgentEntity } from '@agents/agents';
import { ConversationEntity, ConversationShareEntity, MessageEntity } from '@agents/chat';
import { ApiKeyEntity, GroupEntity, GroupMemberEntity, UserEntity } from '@agents/auth';
import { DatabaseService, dataSourceOptions } from '@agents/core';
import { FileEntity } from '@agents/files';
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
    entities: [
      UserEntity,
      GroupEntity,
      GroupMemberEntity,
      AgentEntity,
      AgentVersionEntity,
      AclEntryEntity,
      ConversationEntity,
      MessageEntity,
      ConversationShareEntity,
      ApiKeyEntity,
      FileEntity,
    ],
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

/**
 * Inserts an agent row directly, with no grant and no version: for the tests of the libraries the
 * agents library builds on (acl, versions), whose rows need a real agent to point at.
 */
export async function insertAgentRow(dataSource: DataSource, agent: AgentEntity): Promise<AgentEntity> {
  await dataSource.manager.insert(AgentEntity, agent as QueryDeepPartialEntity<AgentEntity>);
  return agent;
}

/** Inserts a group row directly, created by `createdBy` (an existing user). */
export async function insertGroup(
  dataSource: DataSource,
  createdBy: string,
  overrides: Partial<GroupEntity> = {},
): Promise<GroupEntity> {
  const group = dataSource.manager.create(GroupEntity, {
    name: `Group ${randomUUID()}`,
    description: null,
    createdBy,
    createdAt: new Date(),
    ...overrides,
  });
  return dataSource.manager.save(group);
}

/** Makes `userIds` members of the group. */
export async function addGroupMembers(dataSource: DataSource, groupId: string, ...userIds: string[]): Promise<void> {
  for (const userId of userIds) {
    await dataSource.query(`INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)`, [groupId, userId]);
  }
}

export interface GrantInput {
  principalType: 'user' | 'group' | 'public';
  /** A user or group id; omit (null) for the public principal. */
  principalId?: string | null;
  resourceId: string;
  /** The role named by the grant; its bits unless `permBits` overrides them. */
  roleId?: string;
  permBits?: number;
}

/** Inserts an acl_entries row directly (bits may be any mask, to test bits no single role has). */
export async function insertGrant(dataSource: DataSource, grant: GrantInput): Promise<void> {
  const roleId = grant.roleId ?? 'agent_viewer';
  await dataSource.query(
    `INSERT INTO acl_entries (principal_type, principal_id, resource_type, resource_id, perm_bits, role_id)
     VALUES ($1, $2, 'agent', $3, $4, $5)`,
    [grant.principalType, grant.principalId ?? null, grant.resourceId, grant.permBits ?? roleBits(roleId), roleId],
  );
}
