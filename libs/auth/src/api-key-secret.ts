import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every API key starts with this, so a bearer token can be told apart from a JWT at a glance. */
export const API_KEY_MARKER = 'sk-';

/** `sk-` followed by 64 lowercase hex characters (32 random bytes). */
export const API_KEY_FORMAT = /^sk-[0-9a-f]{64}$/;

/** `sk-` and the first 5 hex characters: enough to tell keys apart in a list, far too little to guess one. */
export const API_KEY_PREFIX_LENGTH = 8;

export interface NewApiKey {
  /** The secret, shown to its owner once. */
  key: string;
  /** What is stored instead of the key. */
  hash: string;
  prefix: string;
}

/** True when a bearer token is meant as an API key rather than a JWT (a JWT never starts with `sk-`). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_MARKER);
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function generateApiKey(): NewApiKey {
  const key = `${API_KEY_MARKER}${randomBytes(32).toString('hex')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, API_KEY_PREFIX_LENGTH) };
}
