import { Transform } from 'class-transformer';
import { IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { ApiKeyEntity } from '../api-key.entity';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateApiKeyDto {
  /** What the key is for, 1..100 characters. @example "CI pipeline" */
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  /**
   * When the key stops working: an ISO-8601 date-time with a time zone (or a date, meaning its
   * midnight UTC), in the future and at most two years ahead. Omitted or null: it never expires.
   * @example "2027-06-30T00:00:00.000Z"
   */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}(T.*(Z|[+-]\d{2}(:?\d{2})?))?$/i, {
    message: 'expiresAt must state its time zone (e.g. "Z" or "+02:00")',
  })
  expiresAt?: string | null;
}

export class ApiKeyDto {
  /** @example "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d" */
  id!: string;
  /** @example "CI pipeline" */
  name!: string;
  /** The first 8 characters of the key (`sk-` and 5 hex), to recognise it by. @example "sk-3f9a1" */
  keyPrefix!: string;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /** Null: never expires. @example "2027-06-30T00:00:00.000Z" */
  expiresAt!: string | null;
  /** Last authenticated use, accurate to a minute; null when never used. @example "2026-11-30T08:15:00.000Z" */
  lastUsedAt!: string | null;

  static from(key: ApiKeyEntity): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      keyPrefix: key.keyPrefix,
      createdAt: key.createdAt.toISOString(),
      expiresAt: key.expiresAt?.toISOString() ?? null,
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    };
  }
}

export class CreatedApiKeyDto {
  /** @example "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d" */
  id!: string;
  /** @example "CI pipeline" */
  name!: string;
  /**
   * The key, for `Authorization: Bearer <key>`. Shown only in this response: the server keeps
   * only its SHA-256 hash. @example "sk-3f9a1c0e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19"
   */
  key!: string;
  /** @example "sk-3f9a1" */
  keyPrefix!: string;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;
  /** Null: never expires. @example null */
  expiresAt!: string | null;

  static from(entity: ApiKeyEntity, key: string): CreatedApiKeyDto {
    return {
      id: entity.id,
      name: entity.name,
      key,
      keyPrefix: entity.keyPrefix,
      createdAt: entity.createdAt.toISOString(),
      expiresAt: entity.expiresAt?.toISOString() ?? null,
    };
  }
}

export class ApiKeyListDto {
  /** @example "list" */
  object!: 'list';
  data!: ApiKeyDto[];
  first_id!: string | null;
  last_id!: string | null;
  has_more!: boolean;
  /** Pass as `cursor` for the next page. */
  after!: string | null;
}
