import { ValidationFailedError } from '../errors/domain-errors';

/** A position in a list ordered by (timestamp DESC, id DESC). */
export interface KeysetPosition {
  at: Date;
  id: string;
}

const MAX_CURSOR_LENGTH = 512;

/** Encodes a keyset position as an opaque, URL-safe cursor. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

function invalid(): never {
  throw new ValidationFailedError([{ field: 'cursor', message: 'cursor is not a cursor this API returned' }]);
}

/**
 * Decodes a cursor from a client; anything that is not one we issued is a 400 naming `cursor`.
 * `idPattern` checks the id's shape (e.g. a UUID), so a forged cursor never reaches a typed column.
 */
export function decodeCursor(cursor: string, idPattern?: RegExp): KeysetPosition {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) invalid();
  const [iso, id] = parsed as unknown[];
  if (typeof iso !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > 64) invalid();
  if (idPattern && !idPattern.test(id)) invalid();
  const at = new Date(iso);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== iso) invalid();
  return { at, id };
}

/** The list envelope (docs/http-api.md § Pagination), shared by every cursor-paginated route. */
export interface Page<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
  after: string | null;
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only tells whether more exist.
 */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  idOf: (row: R) => string,
  cursorOf: (row: R) => string,
): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const first = pageRows[0];
  const last = pageRows[pageRows.length - 1];
  return {
    object: 'list',
    data: pageRows.map(map),
    first_id: first === undefined ? null : idOf(first),
    last_id: last === undefined ? null : idOf(last),
    has_more: hasMore,
    after: hasMore && last !== undefined ? cursorOf(last) : null,
  };
}
