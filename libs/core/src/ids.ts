import { randomBytes } from 'node:crypto';

const URL_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict';

/** 21 URL-safe characters from a CSPRNG (126 bits), the nanoid alphabet without bias (64 symbols). */
export function urlSafeId(size = 21): string {
  const bytes = randomBytes(size);
  let id = '';
  for (let i = 0; i < size; i++) id += URL_ALPHABET[bytes[i] & 63];
  return id;
}

export const AGENT_ID_PATTERN = /^agent_[A-Za-z0-9_-]{21}$/;

export function newAgentId(): string {
  return `agent_${urlSafeId()}`;
}

/** Users, groups, conversations, messages and keys have UUIDs (any version). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
