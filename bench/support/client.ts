import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** How long one SSE response may take, by default, before the reader gives up on it. */
export const STREAM_TIMEOUT_MS = 60_000;

/** The streaming benches' one keep-alive agent, without a socket limit. */
export const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });

interface JsonResponse {
  status: number;
  body: any;
}

export function requestJson(
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return prepareJson(url, method, body, headers).send();
}

/**
 * A request built and given its socket (a pooled keep-alive one, or a new connection) but not yet
 * sent: `ready` resolves once the socket is connected, `send()` writes the request. A burst builds
 * all its requests, awaits every `ready`, then sends them in one loop.
 */
export interface Prepared<T> {
  ready: Promise<void>;
  send: () => Promise<T>;
}

/** Resolves when `req` has a connected socket (or failed: `send()` then reports the error). */
function socketReady(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    req.once('error', () => resolve());
    req.once('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => resolve());
      else resolve();
    });
  });
}

export function prepareJson(
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): Prepared<JsonResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  let resolveResponse!: (response: JsonResponse) => void;
  let rejectResponse!: (err: Error) => void;
  const response = new Promise<JsonResponse>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  const req = http.request(
    url,
    {
      method,
      agent,
      headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
    },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolveResponse({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', rejectResponse);
    },
  );
  req.on('error', rejectResponse);
  return {
    ready: socketReady(req),
    send: () => {
      req.end(payload);
      return response;
    },
  };
}

export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

/**
 * Sends a request and reads its body as Server-Sent Events. Every frame is stamped with the time
 * its chunk arrived. Resolves with the HTTP status when the response ends, is cut, or times out.
 */
export function readSse(
  url: string,
  options: SseOptions,
  onFrame: (frame: SseFrame, at: number) => void,
  onComment?: (comment: string, at: number) => void,
): Promise<{ status: number; error?: string }> {
  return prepareSse(url, options, onFrame, onComment).send();
}

interface SseOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
}

/** {@link readSse}, built but not yet sent (see {@link Prepared}); the timeout starts at `send()`. */
export function prepareSse(
  url: string,
  options: SseOptions,
  onFrame: (frame: SseFrame, at: number) => void,
  onComment?: (comment: string, at: number) => void,
): Prepared<{ status: number; error?: string }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  let resolveResult!: (result: { status: number; error?: string }) => void;
  const result = new Promise<{ status: number; error?: string }>((resolve) => (resolveResult = resolve));
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const settle = (outcome: { status: number; error?: string }): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    resolveResult(outcome);
  };
  const req = http.request(
    url,
    {
      method: options.method ?? 'GET',
      agent,
      headers: { ...options.headers, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
    },
    (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.resume();
        res.on('close', () => settle({ status, error: `HTTP ${status}` }));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) onComment?.(line.slice(1).trim(), at);
            else if (line.startsWith('data: ')) frame.data += line.slice(6);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
          }
          if (frame.data) onFrame(frame, at);
        }
      });
      res.on('close', () => settle({ status, error: res.complete ? undefined : 'response cut' }));
    },
  );
  req.on('error', (err) => settle({ status: 0, error: err.message }));
  return {
    ready: socketReady(req),
    send: () => {
      timer = setTimeout(() => {
        req.destroy();
        settle({ status: 0, error: 'timed out' });
      }, options.timeoutMs ?? STREAM_TIMEOUT_MS);
      req.end(payload);
      return result;
    },
  };
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pooled<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index], index);
      }
    }),
  );
  return results;
}

interface HttpResult {
  status: number;
  body: string;
}

/** GETs from an api on 127.0.0.1 as one user (a bearer token), with its own keep-alive agent. */
export class HttpClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly port: number,
    private readonly token: string,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  get(path: string): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          path,
          method: 'GET',
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** The JSON of a 200; anything else throws, quoting the start of the body. */
  async getJson<T>(path: string): Promise<T> {
    const res = await this.get(path);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
