import { ValidationFailedError } from '@agents/core';

/** Opaque cursor for the version history: the last version number seen. */
export function encodeVersionCursor(version: number): string {
  return Buffer.from(`v${version}`).toString('base64url');
}

export function decodeVersionCursor(cursor: string): number {
  const match = /^v([1-9]\d{0,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const version = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(version) || version > 2_147_483_647) {
    throw new ValidationFailedError([{ field: 'cursor', message: 'cursor is not a cursor this API returned' }]);
  }
  return version;
}
