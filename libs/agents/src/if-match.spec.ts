import 'reflect-metadata';
import { ValidationFailedError } from '@agents/core';
import { etagOf, parseIfMatch } from './if-match';

describe('parseIfMatch', () => {
  it.each([undefined, '', '   ', '*', ' * '])('imposes no condition for %p', (header) => {
    expect(parseIfMatch(header)).toBeUndefined();
  });

  it.each([
    ['3', 3],
    ['"3"', 3],
    ['W/"12"', 12],
    [' 7 ', 7],
    ['2147483647', 2147483647],
    ['9999999999', 9999999999],
  ])('reads %p as version %p', (header, version) => {
    expect(parseIfMatch(header)).toBe(version);
  });

  it.each(['0', '-1', '1.5', 'abc', '"3", "4"', '03', '12345678901', 'W/3x', '""'])(
    'rejects %p with a ValidationFailedError naming If-Match',
    (header) => {
      let error: unknown;
      try {
        parseIfMatch(header);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationFailedError);
      expect((error as ValidationFailedError).details.map((d) => d.field)).toEqual(['If-Match']);
    },
  );
});

describe('etagOf', () => {
  it('quotes the version as a strong ETag that parseIfMatch reads back', () => {
    expect(etagOf(3)).toBe('"3"');
    for (const version of [1, 42, 100000]) expect(parseIfMatch(etagOf(version))).toBe(version);
  });
});
