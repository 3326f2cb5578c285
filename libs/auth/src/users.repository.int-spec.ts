import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { UserEntity, UsersRepository } from '@agents/auth';
import { isUniqueViolation } from '@agents/core';
import { type IntegrationDatabase, openIntegrationDatabase } from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let users: UsersRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase(12);
  users = new UsersRepository(database.db);
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  await database.dataSource.query('TRUNCATE users CASCADE');
});

function newUser(overrides: Partial<{ email: string; name: string; passwordHash: string }> = {}) {
  return { email: `${randomUUID()}@example.com`, name: 'Someone', passwordHash: 'scrypt$stored', ...overrides };
}

describe('UsersRepository.createWithFirstAdmin', () => {
  it('makes exactly one ADMIN when 10 registrations race on an empty table', async () => {
    const created = await Promise.all(Array.from({ length: 10 }, () => users.createWithFirstAdmin(newUser())));
    const stored = await database.dataSource.manager.find(UserEntity);
    expect(stored).toHaveLength(10);
    expect(stored.filter((u) => u.role === 'ADMIN')).toHaveLength(1);
    expect(created.filter((u) => u.role === 'ADMIN')).toHaveLength(1);
    const admin = stored.find((u) => u.role === 'ADMIN')!;
    expect(Math.min(...stored.map((u) => u.createdAt.getTime()))).toBe(admin.createdAt.getTime());
  });

  it('makes later users USER', async () => {
    const first = await users.createWithFirstAdmin(newUser());
    const second = await users.createWithFirstAdmin(newUser());
    expect([first.role, second.role]).toEqual(['ADMIN', 'USER']);
  });

  it('returns the stored row with its generated id', async () => {
    const input = newUser({ name: 'Ann' });
    const created = await users.createWithFirstAdmin(input);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await users.findById(created.id)).toMatchObject({
      email: input.email,
      name: 'Ann',
      passwordHash: input.passwordHash,
    });
  });
});

describe('UsersRepository emails', () => {
  it('rejects a second user whose email differs only in case, with a unique violation', async () => {
    await users.createWithFirstAdmin(newUser({ email: 'Ann.Lee@Example.com' }));
    const error = await users.createWithFirstAdmin(newUser({ email: 'ann.lee@example.COM' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUniqueViolation(error, 'users_email_key')).toBe(true);
    expect(await database.dataSource.manager.count(UserEntity)).toBe(1);
  });

  it('finds a user by email whatever the case', async () => {
    const created = await users.createWithFirstAdmin(newUser({ email: 'Mixed.Case@Example.com' }));
    expect((await users.findByEmail('mixed.case@example.com'))?.id).toBe(created.id);
    expect((await users.findByEmail('MIXED.CASE@EXAMPLE.COM'))?.id).toBe(created.id);
    expect(await users.findByEmail('mixed.case@example.org')).toBeNull();
  });

  it('does not treat LIKE wildcards in an email lookup as patterns', async () => {
    await users.createWithFirstAdmin(newUser({ email: 'abc@example.com' }));
    expect(await users.findByEmail('a_c@example.com')).toBeNull();
    expect(await users.findByEmail('%@example.com')).toBeNull();
  });
});
