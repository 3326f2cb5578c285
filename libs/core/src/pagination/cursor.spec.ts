import 'reflect-metadata';
import { ValidationFailedError, decodeCursor, encodeCursor, toPage, type KeysetPosition } from '@agents/core';

function encodeRaw(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function expectCursorRejected(cursor: string): void {
  let error: unknown;
  try {
    decodeCursor(cursor);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ValidationFailedError);
  expect((error as ValidationFailedError).details).toEqual([{ field: 'cursor', message: expect.any(String) }]);
}

describe('encodeCursor / decodeCursor', () => {
  const position: KeysetPosition = { at: new Date('2026-03-04T05:06:07.089Z'), id: 'agent_V1StGXR8_Z5jdHi6B-myT' };

  it('round-trips a position', () => {
    const cursor = encodeCursor(position);
    const decoded = decodeCursor(cursor);
    expect(decoded.id).toBe(position.id);
    expect(decoded.at.getTime()).toBe(position.at.getTime());
  });

  it('issues URL-safe cursors that do not spell the id in clear', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(position.id);
  });

  it('round-trips ids of up to 64 characters', () => {
    const long = { at: new Date(0), id: 'x'.repeat(64) };
    expect(decodeCursor(encodeCursor(long)).id).toBe(long.id);
  });

  it.each([
    ['truncated', (c: string) => c.slice(0, -3)],
    ['with bytes appended', (c: string) => `${c}AAAA`],
    ['with its id swapped for an empty one', () => encodeRaw([position.at.toISOString(), ''])],
  ])('rejects a cursor %s', (_label, tamper) => {
    expectCursorRejected(tamper(encodeCursor(position)));
  });

  it.each(['abc+def', 'abc/def', 'abc=', 'has space', '', 'ümlaut'])(
    'rejects the non-base64url string %p',
    (cursor) => {
      expectCursorRejected(cursor);
    },
  );

  it.each([
    ['an object', { at: '2026-03-04T05:06:07.089Z', id: 'a' }],
    ['a one-element array', ['2026-03-04T05:06:07.089Z']],
    ['a three-element array', ['2026-03-04T05:06:07.089Z', 'a', 'b']],
    ['a numeric timestamp', [1772600767089, 'a']],
    ['a numeric id', ['2026-03-04T05:06:07.089Z', 42]],
    ['an id over 64 characters', ['2026-03-04T05:06:07.089Z', 'x'.repeat(65)]],
    ['a bare string', 'not json at all'],
    ['null', null],
  ])('rejects a cursor holding %s', (_label, value) => {
    expectCursorRejected(encodeRaw(value));
  });

  it('rejects a cursor over 512 characters even when it is otherwise well-formed', () => {
    const padded = encodeRaw(`["2026-03-04T05:06:07.089Z", ${' '.repeat(400)}"agent_x"]`);
    expect(padded.length).toBeGreaterThan(512);
    expect(() => decodeCursor(encodeRaw('["2026-03-04T05:06:07.089Z", "agent_x"]'))).not.toThrow();
    expectCursorRejected(padded);
    expectCursorRejected('A'.repeat(513));
  });

  it.each([
    '2026-03-04T05:06:07Z',
    '2026-03-04T05:06:07.089',
    '2026-03-04T06:06:07.089+01:00',
    '2026-03-04',
    '2026-02-30T00:00:00.000Z',
    'yesterday',
  ])('rejects the non-canonical date %p', (iso) => {
    expectCursorRejected(encodeRaw([iso, 'agent_x']));
  });
});

describe('toPage', () => {
  interface Row {
    id: string;
    n: number;
  }
  const rows = (count: number): Row[] => Array.from({ length: count }, (_, i) => ({ id: `r${i + 1}`, n: i + 1 }));
  const page = (input: Row[], limit: number) =>
    toPage(
      input,
      limit,
      (r) => ({ value: r.n * 10 }),
      (r) => r.id,
      (r) => `after-${r.id}`,
    );

  it('drops the extra row of a limit + 1 fetch and points `after` at the last row shown', () => {
    expect(page(rows(4), 3)).toEqual({
      object: 'list',
      data: [{ value: 10 }, { value: 20 }, { value: 30 }],
      first_id: 'r1',
      last_id: 'r3',
      has_more: true,
      after: 'after-r3',
    });
  });

  it('reports no more pages when exactly `limit` rows came back', () => {
    expect(page(rows(3), 3)).toEqual({
      object: 'list',
      data: [{ value: 10 }, { value: 20 }, { value: 30 }],
      first_id: 'r1',
      last_id: 'r3',
      has_more: false,
      after: null,
    });
  });

  it('describes an empty page with nulls', () => {
    expect(page([], 5)).toEqual({
      object: 'list',
      data: [],
      first_id: null,
      last_id: null,
      has_more: false,
      after: null,
    });
  });

  it('handles a one-row page', () => {
    expect(page(rows(2), 1)).toMatchObject({ first_id: 'r1', last_id: 'r1', has_more: true, after: 'after-r1' });
  });
});
