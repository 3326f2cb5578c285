import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { ApiKeyEntity, ApiKeysRepository, generateApiKey, type NewApiKeyRow, type UserEntity } from '@agents/auth';
import { isUniqueViolation } from '@agents/core';
import { type IntegrationDatabase, insertUser, openIntegrationDatabase } from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let keys: ApiKeysRepository;
let owner: UserEntity;

beforeAll(async () => {
  database = await openIntegrationDatabase(8);
  keys = new ApiKeysRepository(database.db);
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  await database.dataSource.query('TRUNCATE users, api_keys CASCADE');
  owner = await insertUser(database.dataSource, { name: 'Owner' });
});

function row(userId: string, overrides: Partial<NewApiKeyRow> = {}): NewApiKeyRow {
  const secret = generateApiKey();
  return { userId, name: 'CI', keyHash: secret.hash, keyPrefix: secret.prefix, expiresAt: null, ...overrides };
}

async function create(userId: string, overrides: Partial<NewApiKeyRow> = {}): Promise<ApiKeyEntity> {
  const created = await keys.createWithinLimit(row(userId, overrides), 100);
  if (!created) throw new Error('expected the key to be created');
  return created;
}

/** Inserts a key with a chosen created_at, to control the list order. */
async function createAt(userId: string, createdAt: Date, name = 'k'): Promise<ApiKeyEntity> {
  return database.dataSource.manager.save(
    database.dataSource.manager.create(ApiKeyEntity, { ...row(userId, { name }), createdAt, lastUsedAt: null }),
  );
}

const count = (userId: string) => database.dataSource.manager.countBy(ApiKeyEntity, { userId });

describe('ApiKeysRepository.createWithinLimit', () => {
  it('stores the key with a generated id, creation time, and no last use', async () => {
    const input = row(owner.id, { name: 'Deploy bot', expiresAt: new Date('2030-01-02T03:04:05.678Z') });
    const before = Date.now();
    const created = await keys.createWithinLimit(input, 100);
    expect(created?.id).toMatch(/^[0-9a-f-]{36}$/);
    const stored = await database.dataSource.manager.findOneByOrFail(ApiKeyEntity, { id: created!.id });
    expect(stored).toMatchObject({
      userId: owner.id,
      name: 'Deploy bot',
      keyHash: input.keyHash,
      keyPrefix: input.keyPrefix,
      lastUsedAt: null,
    });
    expect(stored.expiresAt?.toISOString()).toBe('2030-01-02T03:04:05.678Z');
    expect(stored.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5);
  });

  it('returns null and stores nothing once the user holds `max` keys; other users are unaffected', async () => {
    const other = await insertUser(database.dataSource);
    for (let i = 0; i < 3; i += 1) expect(await keys.createWithinLimit(row(owner.id), 3)).not.toBeNull();
    expect(await keys.createWithinLimit(row(owner.id), 3)).toBeNull();
    expect(await count(owner.id)).toBe(3);
    expect(await keys.createWithinLimit(row(other.id), 3)).not.toBeNull();
  });

  it('never exceeds the limit when creations race', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => keys.createWithinLimit(row(owner.id), 5)));
    expect(results.filter((r) => r !== null)).toHaveLength(5);
    expect(await count(owner.id)).toBe(5);
  });

  it('rejects a second key with the same hash (unique index)', async () => {
    const first = await create(owner.id);
    const err = await create(owner.id, { keyHash: first.keyHash }).then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );
    expect(isUniqueViolation(err, 'api_keys_key_hash_key')).toBe(true);
    expect(await count(owner.id)).toBe(1);
  });

  it('refuses to store anything but a hex SHA-256 where the hash belongs (never a key in clear)', async () => {
    const { key } = generateApiKey();
    await expect(create(owner.id, { keyHash: key.slice(0, 64) })).rejects.toMatchObject({
      driverError: { code: '23514' },
    });
  });
});

describe('ApiKeysRepository.listOwned', () => {
  it('lists only the user’s keys, newest first, ties broken by id, keyset-paginated', async () => {
    const other = await insertUser(database.dataSource);
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const oldest = await createAt(owner.id, t(1), 'oldest');
    const tieA = await createAt(owner.id, t(2), 'tie');
    const tieB = await createAt(owner.id, t(2), 'tie');
    const newest = await createAt(owner.id, t(3), 'newest');
    await createAt(other.id, t(4), 'not mine');
    const [hi, lo] = tieA.id > tieB.id ? [tieA, tieB] : [tieB, tieA];

    const first = await keys.listOwned(owner.id, 2);
    expect(first.map((k) => k.id)).toEqual([newest.id, hi.id, lo.id]); // limit + 1 rows
    const second = await keys.listOwned(owner.id, 2, { at: hi.createdAt, id: hi.id });
    expect(second.map((k) => k.id)).toEqual([lo.id, oldest.id]);
    expect(await keys.listOwned(owner.id, 2, { at: oldest.createdAt, id: oldest.id })).toEqual([]);
  });
});

describe('ApiKeysRepository.deleteOwned', () => {
  it('deletes only the owner’s key and says whether it did', async () => {
    const other = await insertUser(database.dataSource);
    const mine = await create(owner.id);
    const theirs = await create(other.id);

    expect(await keys.deleteOwned(owner.id, theirs.id)).toBe(false);
    expect(await count(other.id)).toBe(1);
    expect(await keys.deleteOwned(owner.id, 'not-a-uuid')).toBe(false);
    expect(await keys.deleteOwned(owner.id, mine.id)).toBe(true);
    expect(await keys.deleteOwned(owner.id, mine.id)).toBe(false);
    expect(await count(owner.id)).toBe(0);
  });
});

describe('ApiKeysRepository.findOwnerByHash', () => {
  it('finds the key and its owner by hash', async () => {
    const expiresAt = new Date('2031-05-06T07:08:09.010Z');
    const key = await create(owner.id, { expiresAt });
    expect(await keys.findOwnerByHash(key.keyHash)).toEqual({
      keyId: key.id,
      keyHash: key.keyHash,
      expiresAt,
      user: { id: owner.id, email: owner.email, name: 'Owner', role: 'USER' },
    });
  });

  it('finds nothing for an unknown hash, a deleted key, or a key whose owner was deleted', async () => {
    expect(await keys.findOwnerByHash(generateApiKey().hash)).toBeNull();

    const deleted = await create(owner.id);
    await keys.deleteOwned(owner.id, deleted.id);
    expect(await keys.findOwnerByHash(deleted.keyHash)).toBeNull();

    const doomed = await insertUser(database.dataSource);
    const orphan = await create(doomed.id);
    await database.dataSource.query('DELETE FROM users WHERE id = $1', [doomed.id]);
    expect(await keys.findOwnerByHash(orphan.keyHash)).toBeNull();
    expect(await count(doomed.id)).toBe(0);
  });
});

describe('ApiKeysRepository.recordUse', () => {
  const lastUsed = async (id: string) =>
    (await database.dataSource.manager.findOneByOrFail(ApiKeyEntity, { id })).lastUsedAt?.toISOString() ?? null;

  it('writes last_used_at at most once a minute, whoever asks', async () => {
    const key = await create(owner.id);
    const t0 = new Date('2026-06-01T10:00:00.000Z');

    expect(await keys.recordUse(key.id, t0)).toBe(true);
    expect(await lastUsed(key.id)).toBe(t0.toISOString());
    expect(await keys.recordUse(key.id, new Date(t0.getTime() + 59_000))).toBe(false);
    expect(await lastUsed(key.id)).toBe(t0.toISOString());
    const t1 = new Date(t0.getTime() + 61_000);
    expect(await keys.recordUse(key.id, t1)).toBe(true);
    expect(await lastUsed(key.id)).toBe(t1.toISOString());
  });

  it('touches no other key, and nothing for an unknown id', async () => {
    const [a, b] = [await create(owner.id), await create(owner.id)];
    await keys.recordUse(a.id, new Date());
    expect(await lastUsed(b.id)).toBeNull();
    expect(await keys.recordUse(randomUUID(), new Date())).toBe(false);
  });
});
