import { PasswordHasher } from './password-hasher';

const PASSWORD = 'correct horse battery staple';

/** Replaces the character at `index` of the `part`-th `$`-separated field with a different one. */
function tamper(stored: string, part: number, index = 5): string {
  const parts = stored.split('$');
  const chars = [...parts[part]];
  chars[index] = chars[index] === 'A' ? 'B' : 'A';
  parts[part] = chars.join('');
  return parts.join('$');
}

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();
  let stored: string;

  beforeAll(async () => {
    stored = await hasher.hash(PASSWORD);
  });

  it('stores neither the password nor a recognisable part of it', () => {
    expect(stored).not.toBe(PASSWORD);
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(stored).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  });

  it('salts: hashing the same password twice gives different strings that both verify', async () => {
    const again = await hasher.hash(PASSWORD);
    expect(again).not.toBe(stored);
    expect(again.split('$')[4]).not.toBe(stored.split('$')[4]);
    await expect(hasher.verify(PASSWORD, again)).resolves.toBe(true);
  });

  it('verifies the right password', async () => {
    await expect(hasher.verify(PASSWORD, stored)).resolves.toBe(true);
  });

  it.each(['correct horse battery stapl', 'Correct horse battery staple', `${PASSWORD} `, ''])(
    'rejects the wrong password %p',
    async (wrong) => {
      await expect(hasher.verify(wrong, stored)).resolves.toBe(false);
    },
  );

  it('treats NFKC-equivalent spellings as the same password', async () => {
    const ligature = await hasher.hash('\ufb01nal password'); // "ﬁ" ligature
    await expect(hasher.verify('final password', ligature)).resolves.toBe(true);
  });

  it('rejects a stored string whose hash was tampered with', async () => {
    await expect(hasher.verify(PASSWORD, tamper(stored, 5))).resolves.toBe(false);
  });

  it('rejects a stored string whose salt was tampered with', async () => {
    await expect(hasher.verify(PASSWORD, tamper(stored, 4))).resolves.toBe(false);
  });

  it('rejects a stored string whose cost parameters were changed', async () => {
    const parts = stored.split('$');
    parts[1] = String(Number(parts[1]) / 2);
    await expect(hasher.verify(PASSWORD, parts.join('$'))).resolves.toBe(false);
  });

  it.each(['3', 'abc', String(2 ** 20), '-1'])('rejects cost parameter N=%p without throwing', async (n) => {
    const parts = stored.split('$');
    parts[1] = n;
    await expect(hasher.verify(PASSWORD, parts.join('$'))).resolves.toBe(false);
  });

  it.each([
    [
      'a salt that is not base64',
      (s: string) =>
        s
          .split('$')
          .map((v, i) => (i === 4 ? '!!!' : v))
          .join('$'),
    ],
    ['another scheme', (s: string) => s.replace(/^scrypt/, 'bcrypt')],
    ['a truncated hash', (s: string) => s.slice(0, -10)],
    ['no hash part', (s: string) => s.split('$').slice(0, 5).join('$')],
    ['an empty string', () => ''],
    ['a plain-text password', () => PASSWORD],
  ])('rejects %s without throwing', async (_label, mangle) => {
    await expect(hasher.verify(PASSWORD, mangle(stored))).resolves.toBe(false);
  });

  it('burn completes without revealing anything', async () => {
    await expect(hasher.burn(PASSWORD)).resolves.toBeUndefined();
  });
});
