import {
  MAX_INPUT_DEPTH,
  TOO_DEEP_MESSAGE,
  UNSAFE_KEY_MESSAGE,
  UNSAFE_TEXT_MESSAGE,
  findUnsafeInput,
  isUnsafeText,
} from './unsafe-input';

/** `{a: {a: … leaf}}` nested `depth` objects deep, built without recursion. */
function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('isUnsafeText', () => {
  it.each([
    ['plain text', 'Hello, world'],
    ['an empty string', ''],
    ['a surrogate pair (emoji)', 'bot \ud83e\udd16 here'],
    ['other control characters', 'tab\there\u0001\u001f'],
    ['non-BMP text at both ends', '\ud83d\ude00x\ud83d\ude00'],
  ])('accepts %s', (_label, text) => {
    expect(isUnsafeText(text)).toBe(false);
  });

  it.each([
    ['a NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone high surrogate at the end', 'abc\udbff'],
    ['a lone low surrogate', '\udc00abc'],
    ['a pair in the wrong order', '\udc00\ud800'],
    ['two high surrogates', '\ud800\ud800\udc00'],
  ])('refuses %s', (_label, text) => {
    expect(isUnsafeText(text)).toBe(true);
  });
});

describe('findUnsafeInput', () => {
  it('finds nothing in ordinary input', () => {
    expect(
      findUnsafeInput({
        name: 'HR Helper \ud83e\udd16',
        model_parameters: { temperature: 0.7, stop: ['\n\nUser:'] },
        tools: [],
        avatar: null,
        ok: true,
      }),
    ).toBeUndefined();
    expect(findUnsafeInput(undefined)).toBeUndefined();
    expect(findUnsafeInput(null)).toBeUndefined();
    expect(findUnsafeInput(42)).toBeUndefined();
  });

  it('names a top-level field', () => {
    expect(findUnsafeInput({ email: 'a@b.c', name: 'x\u0000' })).toEqual({
      field: 'name',
      message: UNSAFE_TEXT_MESSAGE,
    });
  });

  it('names a nested field the way validation errors do', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'user', content: 'fine' },
        { role: 'user', content: '\ud800' },
      ],
    };
    expect(findUnsafeInput(body)).toEqual({ field: 'messages[1].content', message: UNSAFE_TEXT_MESSAGE });
    expect(findUnsafeInput({ conversation_starters: ['a', 'b\u0000'] })?.field).toBe('conversation_starters[1]');
  });

  it('names a field whose name is unsafe, without echoing what was refused', () => {
    expect(findUnsafeInput({ model_parameters: { 'bad\u0000key': 1 } })).toEqual({
      field: 'model_parameters.bad\ufffdkey',
      message: UNSAFE_KEY_MESSAGE,
    });
  });

  it('shortens very long field names in the path', () => {
    const field = findUnsafeInput({ ['k'.repeat(1000)]: '\u0000' })?.field;
    expect(field).toBe(`${'k'.repeat(64)}…`);
  });

  it('names the whole input when it is itself a bad string, with the given root', () => {
    expect(findUnsafeInput('\u0000')).toEqual({ field: 'body', message: UNSAFE_TEXT_MESSAGE });
    expect(findUnsafeInput({ search: ['ok', 'x\u0000'] }, 'query')?.field).toBe('search[1]');
  });

  it(`accepts ${MAX_INPUT_DEPTH} levels and refuses one more, naming where the limit was crossed`, () => {
    expect(findUnsafeInput(nested(MAX_INPUT_DEPTH))).toBeUndefined();
    const problem = findUnsafeInput({ deep: nested(MAX_INPUT_DEPTH) });
    expect(problem).toEqual({ field: `deep${'.a'.repeat(MAX_INPUT_DEPTH - 1)}`, message: TOO_DEEP_MESSAGE });
    expect(findUnsafeInput([[[]]])).toBeUndefined();
  });

  it('copes with input nested far beyond what recursion could handle', () => {
    const deep = nested(200_000);
    expect(findUnsafeInput(deep)?.message).toBe(TOO_DEEP_MESSAGE);
    let array: unknown = [];
    for (let i = 0; i < 200_000; i++) array = [array];
    expect(findUnsafeInput({ x: array })?.field).toBe(`x${'[0]'.repeat(MAX_INPUT_DEPTH - 1)}`);
  });

  it('looks at every element of a wide input', () => {
    const wide = Array.from({ length: 100_000 }, (_, i) => ({ id: i, text: 'fine' }));
    expect(findUnsafeInput({ items: wide })).toBeUndefined();
    wide[99_999].text = 'not \u0000 fine';
    expect(findUnsafeInput({ items: wide })?.field).toBe('items[99999].text');
  });
});
