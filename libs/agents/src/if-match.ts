import { ValidationFailedError } from '@agents/core';

/**
 * Parses `If-Match: <version>` (also `"3"` or `W/"3"` as HTTP clients send ETags). `*` and an
 * absent header impose no condition.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*' || header.trim() === '') return undefined;
  const match = /^\s*(?:W\/)?"?([1-9]\d{0,9})"?\s*$/.exec(header);
  if (!match) {
    throw new ValidationFailedError([
      { field: 'If-Match', message: 'If-Match must be an agent version number, e.g. "3"' },
    ]);
  }
  return Number(match[1]);
}

export function etagOf(version: number): string {
  return `"${version}"`;
}
