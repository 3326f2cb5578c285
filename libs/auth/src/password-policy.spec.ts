import type { AppConfig } from '@agents/core';
import { COMMON_PASSWORDS, normalizeForList } from './common-passwords';
import { PasswordPolicy } from './password-policy';

const policy = (passwordMinLength = 12) => new PasswordPolicy({ passwordMinLength } as AppConfig);

describe('PasswordPolicy', () => {
  it.each(['correct horse battery', 'a-very-distinct-password-42', 'Tr0ub4dor&3 and more', 'k'.repeat(11) + 'j'])(
    'accepts %p',
    (password) => {
      expect(policy().problemWith(password)).toBeUndefined();
    },
  );

  it('refuses passwords shorter than the configured minimum, naming it', () => {
    expect(policy().problemWith('Xk9#mQ2$vL7')).toBe('password must be at least 12 characters long');
    expect(policy().problemWith('')).toBe('password must be at least 12 characters long');
    expect(policy(16).problemWith('Xk9#mQ2$vL7!pW4z')).toBeUndefined();
    expect(policy(16).problemWith('Xk9#mQ2$vL7!pW4')).toBe('password must be at least 16 characters long');
    expect(policy(8).problemWith('Xk9#mQ2$')).toBeUndefined();
  });

  it('counts characters, not UTF-16 units', () => {
    expect(policy().problemWith('\ud83d\udd12'.repeat(6))).toBe('password must be at least 12 characters long');
    expect(policy().problemWith('\ud83d\udd12'.repeat(12))).toBeUndefined();
  });

  it.each([' '.repeat(8), ' '.repeat(12), '\t'.repeat(20), ' \n '.repeat(10), '\u3000'.repeat(12)])(
    'refuses an all-whitespace password (%j)',
    (password) => {
      expect(policy(8).problemWith(password)).toBe('password must not consist only of whitespace');
    },
  );

  it.each([
    '123456789012',
    'qwertyuiopas',
    'passwordpassword',
    'PasswordPassword',
    'PASSWORD1234',
    'password 1234',
    'iloveyou2024',
    '1q2w3e4r5t6y',
    'Correct Horse Battery Staple',
  ])('refuses the common password %p, ignoring case and spaces', (password) => {
    expect(policy().problemWith(password)).toBe(
      'password is one of the most commonly used passwords; choose a less predictable one',
    );
  });

  it('bundles a list of several hundred normalized entries, none shorter than 12', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(500);
    expect(COMMON_PASSWORDS.size).toBeLessThanOrEqual(1500);
    for (const entry of COMMON_PASSWORDS) {
      expect(entry.length).toBeGreaterThanOrEqual(12);
      expect(normalizeForList(entry)).toBe(entry);
    }
  });
});
