import 'reflect-metadata';
import { ConflictError, ForbiddenError, UnauthenticatedError, ValidationFailedError } from '@agents/core';
import { generateApiKey } from './api-key-secret';
import type { ApiKeyEntity } from './api-key.entity';
import type { ApiKeyUsageRecorder } from './api-key-usage';
import type { ApiKeyOwner, ApiKeysRepository, NewApiKeyRow } from './api-keys.repository';
import { ApiKeysService, MAX_API_KEYS_PER_USER } from './api-keys.service';
import type { AuthUser } from './auth-user';

const NOW = new Date('2026-06-01T10:00:00.000Z');
const owner: AuthUser = {
  id: '0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21',
  email: 'ada@example.com',
  name: 'Ada',
  role: 'USER',
};

describe('ApiKeysService', () => {
  let repo: {
    createWithinLimit: jest.Mock<Promise<ApiKeyEntity | null>, [NewApiKeyRow, number]>;
    findOwnerByHash: jest.Mock<Promise<ApiKeyOwner | null>, [string]>;
  };
  let noteUse: jest.Mock<void, [string]>;
  let service: ApiKeysService;

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    repo = {
      createWithinLimit: jest.fn((row: NewApiKeyRow, _max: number) =>
        Promise.resolve({ ...row, id: 'key-1', createdAt: new Date(), lastUsedAt: null } as ApiKeyEntity),
      ),
      findOwnerByHash: jest.fn(),
    };
    noteUse = jest.fn();
    service = new ApiKeysService(repo as unknown as ApiKeysRepository, { noteUse } as unknown as ApiKeyUsageRecorder);
  });

  afterEach(() => jest.useRealTimers());

  async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => new Error('expected a rejection'),
      (err: unknown) => err,
    );
  }

  describe('create', () => {
    it('stores the hash and prefix of a fresh key, never the key, and returns the key once', async () => {
      const created = await service.create(owner, { name: 'CI' });
      const [row, max] = repo.createWithinLimit.mock.calls[0];
      expect(max).toBe(MAX_API_KEYS_PER_USER);
      expect(created.key).toMatch(/^sk-[0-9a-f]{64}$/);
      expect(row).toMatchObject({ userId: owner.id, name: 'CI', expiresAt: null, keyPrefix: created.key.slice(0, 8) });
      expect(row.keyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(created.key.slice(3));
    });

    it('issues a different key each time', async () => {
      const a = await service.create(owner, { name: 'a' });
      const b = await service.create(owner, { name: 'b' });
      expect(a.key).not.toBe(b.key);
    });

    it.each([
      ['now', NOW.toISOString(), 'in the future'],
      ['in the past', '2026-05-31T23:59:59Z', 'in the future'],
      ['beyond two years', '2028-06-01T10:00:00.001Z', 'at most 2 years'],
    ])('refuses an expiry %s with a 400 naming expiresAt', async (_label, expiresAt, message) => {
      const err = await rejection(service.create(owner, { name: 'CI', expiresAt }));
      expect(err).toBeInstanceOf(ValidationFailedError);
      expect((err as ValidationFailedError).details).toEqual([
        { field: 'expiresAt', message: expect.stringContaining(message) },
      ]);
      expect(repo.createWithinLimit).not.toHaveBeenCalled();
    });

    it('accepts an expiry exactly two years ahead', async () => {
      const created = await service.create(owner, { name: 'CI', expiresAt: '2028-06-01T12:00:00+02:00' });
      expect(created.expiresAt).toBe('2028-06-01T10:00:00.000Z');
    });

    it('answers 409 when the user already holds the maximum', async () => {
      repo.createWithinLimit.mockResolvedValueOnce(null);
      expect(await rejection(service.create(owner, { name: 'CI' }))).toBeInstanceOf(ConflictError);
    });

    it('never lets a request authenticated with an API key create one', async () => {
      expect(await rejection(service.create({ ...owner, apiKeyId: 'key-0' }, { name: 'CI' }))).toBeInstanceOf(
        ForbiddenError,
      );
      expect(repo.createWithinLimit).not.toHaveBeenCalled();
    });
  });

  describe('authenticate', () => {
    const secret = generateApiKey();
    const found = (expiresAt: Date | null): ApiKeyOwner => ({
      keyId: 'key-1',
      keyHash: secret.hash,
      expiresAt,
      user: owner,
    });

    it('acts as the owner, marked with the key id, and notes the use', async () => {
      repo.findOwnerByHash.mockResolvedValueOnce(found(null));
      expect(await service.authenticate(secret.key)).toEqual({ ...owner, apiKeyId: 'key-1' });
      expect(repo.findOwnerByHash).toHaveBeenCalledWith(secret.hash);
      expect(noteUse).toHaveBeenCalledWith('key-1');
    });

    it('refuses an unknown key', async () => {
      repo.findOwnerByHash.mockResolvedValueOnce(null);
      expect(await rejection(service.authenticate(secret.key))).toEqual(new UnauthenticatedError('Invalid API key'));
      expect(noteUse).not.toHaveBeenCalled();
    });

    it.each([`sk-${'A'.repeat(64)}`, `sk-${'a'.repeat(63)}`, 'sk-', `sk-${'a'.repeat(64)}x`])(
      'refuses the malformed key %p without a lookup',
      async (key) => {
        expect(await rejection(service.authenticate(key))).toBeInstanceOf(UnauthenticatedError);
        expect(repo.findOwnerByHash).not.toHaveBeenCalled();
      },
    );

    it('refuses an expired key, saying it expired, and does not note the use', async () => {
      repo.findOwnerByHash.mockResolvedValueOnce(found(new Date(NOW.getTime() - 1)));
      const err = await rejection(service.authenticate(secret.key));
      expect(err).toBeInstanceOf(UnauthenticatedError);
      expect((err as Error).message).toMatch(/expired/);
      expect(noteUse).not.toHaveBeenCalled();
    });

    it('accepts a key until its expiry', async () => {
      repo.findOwnerByHash.mockResolvedValueOnce(found(new Date(NOW.getTime() + 1000)));
      expect(await service.authenticate(secret.key)).toMatchObject({ id: owner.id });
    });
  });
});
