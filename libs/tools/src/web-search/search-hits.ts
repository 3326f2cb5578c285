import type { SearchHit } from './search-backend';

/** A result as an API gave it, fields unchecked. */
export interface RawHit {
  title?: unknown;
  url?: unknown;
  snippet?: unknown;
  source: string;
  publishedAt?: unknown;
}

/** Snippets longer than this are cut (at a word) for the model's context. */
const MAX_SNIPPET_LENGTH = 500;

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * The API's results as hits: plain-text titles and snippets (Brave marks matches with <strong>),
 * results without an http(s) URL dropped, at most `max`.
 */
export function toHits(raw: readonly RawHit[], max: number): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const result of raw) {
    if (hits.length >= max) break;
    const url = webUrl(result.url);
    if (!url) continue;
    const title = typeof result.title === 'string' ? plainText(result.title) : '';
    const snippet = typeof result.snippet === 'string' ? cut(plainText(result.snippet), MAX_SNIPPET_LENGTH) : '';
    const publishedAt =
      typeof result.publishedAt === 'string' && result.publishedAt.trim() !== ''
        ? result.publishedAt.trim()
        : undefined;
    hits.push({ title: title || url, url, snippet, source: result.source, ...(publishedAt ? { publishedAt } : {}) });
  }
  return hits;
}

/** The entries of an API's results list that are objects: a stray null is skipped, not a crash. */
export function objectsIn<T extends object>(list: readonly unknown[]): T[] {
  return list.filter((entry): entry is T => typeof entry === 'object' && entry !== null);
}

/** Text without its tags, entities decoded and whitespace collapsed. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name: string) => decode(name) ?? entity)
    .replace(/\s+/g, ' ')
    .trim();
}

function decode(name: string): string | undefined {
  if (name.startsWith('#')) {
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return ENTITIES[name.toLowerCase()];
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - 1);
  const lastSpace = head.lastIndexOf(' ');
  return `${lastSpace > max / 2 ? head.slice(0, lastSpace) : head}…`;
}

function webUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}
