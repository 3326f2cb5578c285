import { Injectable } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { COMMON_PASSWORDS, normalizeForList } from './common-passwords';

/** The longest password registration accepts (RegisterDto); bounds the hashing work. */
export const PASSWORD_MAX_LENGTH = 128;

/**
 * What a new password must be: at least PASSWORD_MIN_LENGTH characters (default 12), not only
 * whitespace, and not one of the most used passwords (compared ignoring case and whitespace). Login
 * does not apply it, so accounts created under an older rule can still sign in.
 */
@Injectable()
export class PasswordPolicy {
  constructor(private readonly config: AppConfig) {}

  /** Why `password` is refused, as a sentence about the `password` field; undefined when it is fine. */
  problemWith(password: string): string | undefined {
    if (password.length > 0 && password.trim() === '') return 'password must not consist only of whitespace';
    const min = this.config.passwordMinLength;
    // Characters as people count them: an emoji is one, not two UTF-16 units.
    if ([...password].length < min) return `password must be at least ${min} characters long`;
    if (COMMON_PASSWORDS.has(normalizeForList(password))) {
      return 'password is one of the most commonly used passwords; choose a less predictable one';
    }
    return undefined;
  }
}
