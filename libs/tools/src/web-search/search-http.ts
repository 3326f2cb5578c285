import { SearchFailure } from './search-backend';

/** One call to a search API. */
export interface JsonRequest {
  /** The backend's name, for messages. */
  backend: string;
  url: URL;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  signal: AbortSignal;
  /** Values no message may repeat (the API key), should the API echo them back. */
  secrets?: readonly (string | undefined)[];
  /** What a status most likely means for this API, said instead of its own words. */
  hints?: Readonly<Record<number, string>>;
}

/** The longest part of an API's error message repeated in ours. */
const MAX_DETAIL_LENGTH = 200;

/** `base` (with or without a trailing slash, maybe with a path of its own) + `path`, and the query. */
export function endpoint(base: string, path: string, query: Record<string, string> = {}): URL {
  const url = new URL(base.replace(/\/+$/, '') + path);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url;
}

/**
 * Sends the request and parses the JSON answer. An error status, a network failure or an answer
 * that is not JSON is a SearchFailure saying which, in a few words (with the status and the API's
 * own message); the signal's firing rejects with its reason, untouched, so that the caller can
 * tell a timeout from an abort.
 */
export async function fetchJson(request: JsonRequest): Promise<unknown> {
  const { backend, signal } = request;
  const fail = (message: string): SearchFailure => new SearchFailure(redact(message, request.secrets ?? []));
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, {
      method: request.method ?? 'GET',
      headers: {
        Accept: 'application/json',
        ...(request.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...request.headers,
      },
      body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
      signal,
    });
    text = await response.text();
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw fail(`could not reach ${backend}: ${networkReason(error)}`);
  }
  if (!response.ok) {
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    const why = request.hints?.[response.status] ?? detailOf(text);
    throw fail(`${backend} answered ${status}${why ? `: ${why}` : ''}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail(`${backend} answered with something other than JSON`);
  }
}

/** fetch's "fetch failed" hides the cause (ECONNREFUSED, ENOTFOUND…) one level down. */
function networkReason(error: unknown): string {
  // Read by shape, not instanceof: fetch's errors may come from another realm (a test's VM context).
  const { message, cause } = (error ?? {}) as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return typeof message === 'string' ? message : String(error);
}

/** The message of an API's error body, from where Tavily, Brave and most JSON APIs put it. */
function detailOf(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined; // an HTML error page says nothing the status does not
  }
  const found = [
    at(body, 'detail', 'error'),
    at(body, 'detail'),
    at(body, 'error', 'detail'),
    at(body, 'error', 'message'),
    at(body, 'error'),
    at(body, 'message'),
  ].find((value): value is string => typeof value === 'string' && value.trim() !== '');
  if (!found) return undefined;
  const flat = found.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DETAIL_LENGTH ? `${flat.slice(0, MAX_DETAIL_LENGTH)}…` : flat;
}

function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function redact(message: string, secrets: readonly (string | undefined)[]): string {
  return secrets.reduce<string>((text, secret) => (secret ? text.replaceAll(secret, '[redacted]') : text), message);
}
