import { Injectable } from '@nestjs/common';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationFailedError,
  decodeCursor,
  encodeCursor,
  toPage,
  type Page,
  type PageQueryDto,
  UUID_PATTERN,
} from '@agents/core';
import type { AuthUser } from './auth-user';
import { API_KEY_FORMAT, generateApiKey, hashApiKey, sameHash } from './api-key-secret';
import { ApiKeyUsageRecorder } from './api-key-usage';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyDto, CreatedApiKeyDto, type CreateApiKeyDto } from './dto/api-key.dto';

/** How many keys one user may hold; creating one more is a 409 until one is deleted. */
export const MAX_API_KEYS_PER_USER = 100;

/** How far ahead an expiry may be set. */
export const MAX_API_KEY_LIFETIME_YEARS = 2;

/** Managing one's own API keys (with a JWT), and authenticating requests that carry one. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly usage: ApiKeyUsageRecorder,
  ) {}

  async create(user: AuthUser, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    // The guard already refuses API keys on these routes; a key must never mint keys even if that changes.
    if (user.apiKeyId !== undefined) throw new ForbiddenError('API keys are managed with a JWT, not with an API key');
    const expiresAt = expiryOf(dto.expiresAt, new Date());
    const secret = generateApiKey();
    const row = await this.keys.createWithinLimit(
      { userId: user.id, name: dto.name, keyHash: secret.hash, keyPrefix: secret.prefix, expiresAt },
      MAX_API_KEYS_PER_USER,
    );
    if (!row) {
      throw new ConflictError(`A user may hold at most ${MAX_API_KEYS_PER_USER} API keys; delete one first`);
    }
    return CreatedApiKeyDto.from(row, secret.key);
  }

  async list(user: AuthUser, query: PageQueryDto): Promise<Page<ApiKeyDto>> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, UUID_PATTERN);
    const rows = await this.keys.listOwned(user.id, query.limit, after);
    return toPage(
      rows,
      query.limit,
      (k) => ApiKeyDto.from(k),
      (k) => k.id,
      (k) => encodeCursor({ at: k.createdAt, id: k.id }),
    );
  }

  /** Deletes one of the caller's keys; the very next request with it is refused (nothing caches keys). */
  async delete(user: AuthUser, id: string): Promise<void> {
    if (!(await this.keys.deleteOwned(user.id, id))) throw new NotFoundError('API key not found');
  }

  /**
   * The owner a key acts as, with `apiKeyId` set. Unknown, deleted and expired keys (and keys of a
   * deleted user, which are deleted with them) are refused.
   */
  async authenticate(key: string): Promise<AuthUser> {
    if (!API_KEY_FORMAT.test(key)) throw invalidKey();
    const hash = hashApiKey(key);
    const owner = await this.keys.findOwnerByHash(hash);
    if (!owner || !sameHash(owner.keyHash, hash)) throw invalidKey();
    if (owner.expiresAt !== null && owner.expiresAt.getTime() <= Date.now()) {
      throw new UnauthenticatedError('The API key has expired; create a new one');
    }
    this.usage.noteUse(owner.keyId);
    return { ...owner.user, apiKeyId: owner.keyId };
  }
}

function invalidKey(): UnauthenticatedError {
  return new UnauthenticatedError('Invalid API key');
}

/** The expiry as a Date: in the future and at most two years ahead; null (never) when not given. */
function expiryOf(value: string | null | undefined, now: Date): Date | null {
  if (value === undefined || value === null) return null;
  const at = new Date(value);
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_API_KEY_LIFETIME_YEARS);
  const problem = Number.isNaN(at.getTime())
    ? 'expiresAt must be a valid ISO-8601 date-time'
    : at.getTime() <= now.getTime()
      ? 'expiresAt must be in the future'
      : at.getTime() > latest.getTime()
        ? `expiresAt must be at most ${MAX_API_KEY_LIFETIME_YEARS} years ahead`
        : undefined;
  if (problem !== undefined) throw new ValidationFailedError([{ field: 'expiresAt', message: problem }]);
  return at;
}
