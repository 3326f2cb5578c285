import 'reflect-metadata';
import { UserEntity } from '@agents/auth';
import { preparedStatementName } from '@agents/core';
import { type IntegrationDatabase, insertUser, openIntegrationDatabase } from '@agents/testing/integration-database';

describe('DatabaseService.getManyPrepared', () => {
  let database: IntegrationDatabase;

  beforeAll(async () => {
    database = await openIntegrationDatabase(1); // one connection: every query below shares its session
  });
  afterAll(() => database?.close());

  it('prepares again when the session already holds a statement of that name (42P05)', async () => {
    const user = await insertUser(database.dataSource, { name: 'Prepared' });
    const qb = database.dataSource.manager.createQueryBuilder(UserEntity, 'u').where('u.id = :id', { id: user.id });
    const name = preparedStatementName(qb.getQueryAndParameters()[0]);
    // The session knows the name, the driver's cache of this connection does not — as when a
    // session outlives its connection.
    await database.dataSource.query(`PREPARE ${name} AS SELECT 1`);

    const rows = await database.db.getManyPrepared(qb);
    expect(rows.map((u) => [u.id, u.name])).toEqual([[user.id, 'Prepared']]);
    expect((await database.db.getManyPrepared(qb)).map((u) => u.id)).toEqual([user.id]);
  });
});
