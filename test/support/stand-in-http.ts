import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/*
 * What every vendor stand-in (OpenAI, Anthropic, Google, the search APIs) does the same way: read
 * a request body, parse it, answer JSON, pause a script's delay, split streamed text into pieces.
 */

export async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Any JSON value the body holds; undefined for an empty body or one that is not JSON. */
export function parseJson(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** The body as a JSON object (what the vendors' POST routes take); undefined for anything else. */
export function parseJsonObject<T extends object>(raw: string): T | undefined {
  const parsed = parseJson(raw);
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as T) : undefined;
}

export function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(payload));
}

/** Waits `ms` (nothing when undefined or 0); false when `signal` fired first, meaning "stop writing". */
export async function pause(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (!ms) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Splits `text` into `count` nearly equal pieces (fewer when it is shorter), keeping their order. */
export function splitInto(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts.length > 0 ? parts : [''];
}
