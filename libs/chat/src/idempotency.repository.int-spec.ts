import { type IntegrationDatabase, insertUser, openIntegrationDatabase } from '@agents/testing/integration-database';
import { IdempotencyRepository } from './idempotency.repository';

let database: IntegrationDatabase;
let keys: IdempotencyRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  keys = new IdempotencyRepository(database.db);
});
afterAll(() => database?.close());

const fp = (c: string) => c.repeat(64);
const backdate = (userId: string, key: string, seconds: number) =>
  database.dataSource.query(
    `UPDATE chat_idempotency_keys SET created_at = now() - make_interval(secs => $3) WHERE user_id = $1 AND key = $2`,
    [userId, key, seconds],
  );

describe('IdempotencyRepository', () => {
  it('claims a key once; others see it in progress, then its answer once completed', async () => {
    const user = await insertUser(database.dataSource);
    expect(await keys.claim(user.id, 'k', fp('a'))).toEqual({ state: 'claimed' });
    expect(await keys.claim(user.id, 'k', fp('b'))).toEqual({
      state: 'existing',
      fingerprint: fp('a'),
      response: null,
    });
    await keys.complete(database.dataSource.manager, user.id, 'k', { streamId: 's1' });
    expect(await keys.claim(user.id, 'k', fp('a'))).toEqual({
      state: 'existing',
      fingerprint: fp('a'),
      response: { streamId: 's1' },
    });
    const other = await insertUser(database.dataSource);
    expect(await keys.claim(other.id, 'k', fp('a'))).toEqual({ state: 'claimed' }); // keys are per user
  });

  it('lets a released claim, an abandoned claim and a key past 24 hours be claimed again', async () => {
    const user = await insertUser(database.dataSource);
    await keys.claim(user.id, 'released', fp('a'));
    await keys.release(user.id, 'released');
    expect(await keys.claim(user.id, 'released', fp('a'))).toEqual({ state: 'claimed' });

    await keys.claim(user.id, 'abandoned', fp('a'));
    await backdate(user.id, 'abandoned', 30);
    expect((await keys.claim(user.id, 'abandoned', fp('a'))).state).toBe('existing');
    await backdate(user.id, 'abandoned', 61);
    expect(await keys.claim(user.id, 'abandoned', fp('b'))).toEqual({ state: 'claimed' });

    await keys.claim(user.id, 'old', fp('a'));
    await keys.complete(database.dataSource.manager, user.id, 'old', { n: 1 });
    await backdate(user.id, 'old', 23 * 3600);
    expect((await keys.claim(user.id, 'old', fp('c'))).state).toBe('existing');
    await backdate(user.id, 'old', 25 * 3600);
    expect(await keys.claim(user.id, 'old', fp('c'))).toEqual({ state: 'claimed' });
  });

  it('does not release a completed key, and purges keys past the window', async () => {
    const user = await insertUser(database.dataSource);
    await keys.claim(user.id, 'done', fp('a'));
    await keys.complete(database.dataSource.manager, user.id, 'done', { n: 1 });
    await keys.release(user.id, 'done');
    expect((await keys.claim(user.id, 'done', fp('a'))).state).toBe('existing');

    await keys.claim(user.id, 'stale', fp('a'));
    await backdate(user.id, 'stale', 30 * 3600);
    expect(await keys.purgeExpired()).toBe(1);
    expect(await keys.purgeExpired()).toBe(0); // nothing left: a janitor run ends
    const left = await database.dataSource.query<{ key: string }[]>(
      `SELECT key FROM chat_idempotency_keys WHERE user_id = $1 ORDER BY key`,
      [user.id],
    );
    expect(left.map((r) => r.key)).toEqual(['done']);
  });
});
