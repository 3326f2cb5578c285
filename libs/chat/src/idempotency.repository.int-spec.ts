import {
  type IntegrationDatabase,
  insertUser,
  openIntegrationDatabase,
} from '../../../test/support/integration-database';
import { IdempotencyRepository } from './idempotency.repository';

let database: IntegrationDatabase;
let keys: IdempotencyRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  keys = new IdempotencyRepository(database.db);
});
afterAll(() => database?.close());

const age = (userId: string, key: string, hours: number) =>
  database.dataSource.query(
    `UPDATE chat_idempotency_keys SET created_at = now() - make_interval(hours => $3) WHERE user_id = $1 AND key = $2`,
    [userId, key, hours],
  );

describe('IdempotencyRepository', () => {
  it('claims a key once; a second claim within the window records nothing', async () => {
    const user = await insertUser(database.dataSource);
    const m = database.dataSource.manager;
    expect(await keys.claim(m, user.id, 'k', { fingerprint: 'a'.repeat(64), response: { n: 1 } })).toBe(true);
    expect(await keys.claim(m, user.id, 'k', { fingerprint: 'b'.repeat(64), response: { n: 2 } })).toBe(false);
    expect(await keys.find(user.id, 'k')).toEqual({ fingerprint: 'a'.repeat(64), response: { n: 1 } });
    expect(await keys.find(user.id, 'other')).toBeNull();
  });

  it('forgets a key after 24 hours: find ignores it, a new claim replaces it, purge deletes it', async () => {
    const user = await insertUser(database.dataSource);
    const m = database.dataSource.manager;
    await keys.claim(m, user.id, 'old', { fingerprint: 'a'.repeat(64), response: { n: 1 } });
    await keys.claim(m, user.id, 'fresh', { fingerprint: 'a'.repeat(64), response: { n: 1 } });
    await age(user.id, 'old', 25);
    expect(await keys.find(user.id, 'old')).toBeNull();
    expect(await keys.claim(m, user.id, 'old', { fingerprint: 'c'.repeat(64), response: { n: 3 } })).toBe(true);
    expect(await keys.find(user.id, 'old')).toEqual({ fingerprint: 'c'.repeat(64), response: { n: 3 } });

    await age(user.id, 'old', 30);
    expect(await keys.purgeExpired()).toBeGreaterThanOrEqual(1);
    const left = await database.dataSource.query<{ key: string }[]>(
      `SELECT key FROM chat_idempotency_keys WHERE user_id = $1 ORDER BY key`,
      [user.id],
    );
    expect(left.map((r) => r.key)).toEqual(['fresh']);
  });
});
