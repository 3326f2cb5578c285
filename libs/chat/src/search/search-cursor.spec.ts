import { ValidationFailedError } from '@agents/core';
import { decodeSearchCursor, encodeSearchCursor } from './search-cursor';

const position = {
  rank: 0.06079271,
  at: new Date('2026-03-04T05:06:07.089Z'),
  id: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
};

function rejection(search: string, cursor: string): string {
  try {
    decodeSearchCursor(search, cursor);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationFailedError);
    const [detail] = (err as ValidationFailedError).details;
    expect(detail.field).toBe('cursor');
    return detail.message;
  }
  throw new Error('the cursor was accepted');
}

const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('search cursors', () => {
  it('round-trips a ranked position exactly, the rank included', () => {
    const decoded = decodeSearchCursor('leave policy', encodeSearchCursor('leave policy', position));
    expect(decoded).toEqual(position);
    expect(Math.fround(decoded.rank)).toBe(Math.fround(position.rank));
  });

  it('continues only the search it was issued for', () => {
    const cursor = encodeSearchCursor('leave policy', position);
    expect(rejection('leave', cursor)).toMatch(/another search/);
  });

  it.each([
    ['not base64url', 'a+b/c'],
    ['truncated', encodeSearchCursor('x', position).slice(0, -4)],
    ['a keyset cursor of a plain list', raw(['2026-03-04T05:06:07.089Z', position.id])],
    ['a negative rank', raw([undefined, -1, '2026-03-04T05:06:07.089Z', position.id])],
    ['a rank that is not a number', raw(['abc', '0.1', '2026-03-04T05:06:07.089Z', position.id])],
    ['an id that is not a UUID', raw(['abc', 0.1, '2026-03-04T05:06:07.089Z', "1' OR '1'='1"])],
    ['a non-canonical time', raw(['abc', 0.1, '2026-03-04', position.id])],
    ['over 512 characters', 'A'.repeat(513)],
  ])('rejects a cursor %s', (_label, cursor) => {
    expect(rejection('x', cursor)).toMatch(/cursor/);
  });
});
