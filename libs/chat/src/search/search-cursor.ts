import { createHash } from 'node:crypto';
import { UUID_PATTERN, ValidationFailedError } from '@agents/core';
import type { RankedPosition } from './search.repository';

const MAX_CURSOR_LENGTH = 512;

/** A short fingerprint of the search a cursor was issued for: a cursor only continues its own search. */
function fingerprint(search: string): string {
  return createHash('sha256').update(search).digest('base64url').slice(0, 8);
}

/** Encodes a position in the ranked results of `search` as an opaque, URL-safe cursor. */
export function encodeSearchCursor(search: string, position: RankedPosition): string {
  return Buffer.from(
    JSON.stringify([fingerprint(search), position.rank, position.at.toISOString(), position.id]),
  ).toString('base64url');
}

function invalid(message = 'cursor is not a cursor this API returned'): never {
  throw new ValidationFailedError([{ field: 'cursor', message }]);
}

/** Decodes a cursor of `search`'s results; anything else is a 400 naming `cursor`. */
export function decodeSearchCursor(search: string, cursor: string): RankedPosition {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) invalid();
  const [print, rank, iso, id] = parsed as unknown[];
  if (typeof print !== 'string' || typeof rank !== 'number' || typeof iso !== 'string' || typeof id !== 'string') {
    invalid();
  }
  if (!Number.isFinite(rank) || rank < 0 || !UUID_PATTERN.test(id)) invalid();
  const at = new Date(iso);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== iso) invalid();
  if (print !== fingerprint(search)) invalid('cursor belongs to another search; pass the same search with it');
  return { rank, at, id };
}
