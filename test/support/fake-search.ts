import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { parseJson, pause, readBody, sendJson } from './stand-in-http';

/**
 * A stand-in for the three search APIs the web_search tool speaks, on one real HTTP server:
 * SearXNG (`GET /search?format=json`), Tavily (`POST /search`, bearer key) and Brave
 * (`GET /res/v1/web/search`, `X-Subscription-Token`). Each answers in its vendor's JSON shape and
 * with its vendor's error bodies, refuses a missing or wrong key where the real API does, and is
 * scripted per test; every request is recorded.
 */

export type FakeSearchBackend = 'searxng' | 'tavily' | 'brave';

/** One result, rendered into each vendor's shape (`snippet` is SearXNG's and Tavily's `content`, Brave's `description`). */
export interface FakeSearchHit {
  title: string;
  url: string;
  snippet?: string;
  /** SearXNG's `engine`; the others have none. */
  engine?: string;
  /** SearXNG's `publishedDate`, Tavily's `published_date`, Brave's `page_age`. */
  publishedAt?: string;
}

/** What the stand-in does with one request. `{}` answers with no results. */
export interface FakeSearchScript {
  results?: FakeSearchHit[];
  /** Answer with this status and the vendor's error body instead. */
  fail?: { status: number; message?: string };
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer, until the client gives up or close() is called. */
  hang?: boolean;
  /** Answer 200 with this body as it is (e.g. something that is not JSON). */
  rawBody?: string;
}

export interface RecordedSearchRequest {
  /** Which API the route belongs to; undefined for a route none of them has. */
  backend: FakeSearchBackend | undefined;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined for GET, or a body that is not JSON). */
  body: unknown;
  /** True when the client closed the connection before the answer ended. */
  closedByClient: boolean;
  /** Resolves when the client closes the connection before the answer ended (never, otherwise). */
  readonly clientClosed: Promise<void>;
}

export interface FakeSearch {
  /** `http://127.0.0.1:<port>`: the base URL for every backend. */
  url: string;
  /** The key Tavily and Brave accept. */
  apiKey: string;
  /** Every request received, in arrival order. */
  requests: RecordedSearchRequest[];
  /** Queues scripts for the next accepted requests, one each; when the queue is empty the default answers. */
  script(...scripts: FakeSearchScript[]): void;
  /** Replaces the script used when the queue is empty. */
  setDefault(script: FakeSearchScript): void;
  /** Stops the server, cutting any request still open (hanging ones included). */
  close(): Promise<void>;
}

export interface FakeSearchOptions {
  apiKey?: string;
  /** Whether the SearXNG instance has the json format enabled (settings.yml search.formats); it answers 403 when not. */
  searxngJson?: boolean;
}

export async function startFakeSearch(options: FakeSearchOptions = {}): Promise<FakeSearch> {
  const apiKey = options.apiKey ?? `fake-search-key-${randomUUID()}`;
  const searxngJson = options.searxngJson ?? true;
  const queue: FakeSearchScript[] = [];
  let fallback: FakeSearchScript = {};
  const requests: RecordedSearchRequest[] = [];
  /** Aborted on close(), so no scripted delay keeps the process alive after a test. */
  const shutdown = new AbortController();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A handler bug must fail loudly in the test output, not hang the client.
      console.error('fake-search handler failed', error);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake-search');
    const method = req.method ?? 'GET';
    let resolveClosed!: () => void;
    const record: RecordedSearchRequest = {
      backend: routeOf(method, url.pathname),
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: parseJson(raw),
      closedByClient: false,
      clientClosed: new Promise<void>((resolve) => (resolveClosed = resolve)),
    };
    requests.push(record);

    // Aborted when this response can no longer be written to: the client left or the server stops.
    const gone = new AbortController();
    const onShutdown = (): void => gone.abort();
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    res.on('close', () => {
      shutdown.signal.removeEventListener('abort', onShutdown);
      if (!res.writableFinished && !shutdown.signal.aborted) {
        record.closedByClient = true;
        resolveClosed();
      }
      gone.abort();
    });

    const vendor = record.backend ? VENDORS[record.backend] : undefined;
    if (!vendor) {
      sendJson(res, 404, { error: `Unknown route ${method} ${url.pathname}` });
      return;
    }
    const refusal = vendor.refuse(record, { apiKey, searxngJson });
    if (refusal) {
      refusal(res);
      return;
    }

    const script = queue.shift() ?? fallback;
    if (script.hang) return; // the response stays open until the client or close() ends it
    if (!(await pause(script.delayMs, gone.signal))) return;
    if (script.fail) {
      vendor.fail(res, script.fail.status, script.fail.message);
      return;
    }
    if (script.rawBody !== undefined) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(script.rawBody);
      return;
    }
    sendJson(res, 200, vendor.answer(record, script.results ?? []));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    script: (...scripts) => queue.push(...scripts),
    setDefault: (script) => {
      fallback = script;
    },
    close: async () => {
      shutdown.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function routeOf(method: string, path: string): FakeSearchBackend | undefined {
  if (path === '/search') return method === 'GET' ? 'searxng' : method === 'POST' ? 'tavily' : undefined;
  if (path === '/res/v1/web/search' && method === 'GET') return 'brave';
  return undefined;
}

/** How one vendor checks a request, answers it, and fails. */
interface Vendor {
  /** Answers a request the real API would refuse before searching (no key, bad parameters); undefined to go on. */
  refuse(
    record: RecordedSearchRequest,
    settings: { apiKey: string; searxngJson: boolean },
  ): ((res: ServerResponse) => void) | undefined;
  answer(record: RecordedSearchRequest, results: FakeSearchHit[]): unknown;
  fail(res: ServerResponse, status: number, message: string | undefined): void;
}

const VENDORS: Readonly<Record<FakeSearchBackend, Vendor>> = {
  searxng: {
    refuse: (record, { searxngJson }) => {
      if (record.query.format !== 'json') {
        return (res) => sendText(res, 400, 'The stand-in speaks format=json only');
      }
      if (!searxngJson) return (res) => sendHtml(res, 403, 'Forbidden');
      if (!record.query.q) return (res) => sendHtml(res, 400, 'Bad Request');
      return undefined;
    },
    answer: (record, results) => ({
      query: record.query.q,
      number_of_results: results.length,
      results: results.map((hit) => ({
        url: hit.url,
        title: hit.title,
        content: hit.snippet ?? '',
        engine: hit.engine ?? 'duckduckgo',
        engines: [hit.engine ?? 'duckduckgo'],
        score: 1,
        category: 'general',
        publishedDate: hit.publishedAt ?? null,
      })),
      answers: [],
      corrections: [],
      infoboxes: [],
      suggestions: [],
      unresponsive_engines: [],
    }),
    fail: (res, status, message) => sendHtml(res, status, message ?? 'Internal Server Error'),
  },
  tavily: {
    refuse: (record, { apiKey }) => {
      if (record.headers.authorization !== `Bearer ${apiKey}`) {
        return (res) => sendJson(res, 401, { detail: { error: 'Unauthorized: missing or invalid API key.' } });
      }
      const query = (record.body as { query?: unknown } | undefined)?.query;
      if (typeof query !== 'string' || !query) {
        return (res) => sendJson(res, 400, { detail: { error: 'Query is missing.' } });
      }
      return undefined;
    },
    answer: (record, results) => {
      const body = record.body as { query: string; max_results?: number };
      return {
        query: body.query,
        follow_up_questions: null,
        answer: null,
        images: [],
        results: results.slice(0, body.max_results ?? 5).map((hit, i) => ({
          title: hit.title,
          url: hit.url,
          content: hit.snippet ?? '',
          score: 1 - i / 100,
          raw_content: null,
          ...(hit.publishedAt ? { published_date: hit.publishedAt } : {}),
        })),
        response_time: 0.42,
        request_id: randomUUID(),
      };
    },
    fail: (res, status, message) =>
      sendJson(res, status, { detail: { error: message ?? `Scripted failure ${status}` } }),
  },
  brave: {
    refuse: (record, { apiKey }) => {
      if (record.headers['x-subscription-token'] !== apiKey) {
        return (res) =>
          sendBraveError(res, 401, 'SUBSCRIPTION_TOKEN_INVALID', 'The provided subscription token is invalid.');
      }
      if (!record.query.q)
        return (res) => sendBraveError(res, 422, 'VALIDATION', 'Unable to validate request parameter(s)');
      return undefined;
    },
    answer: (record, results) => {
      const count = Number(record.query.count ?? 20);
      const shown = results.slice(0, count);
      return {
        type: 'search',
        query: { original: record.query.q, more_results_available: results.length > shown.length },
        // Brave leaves `web` out when nothing matched.
        ...(shown.length > 0
          ? {
              web: {
                type: 'search',
                family_friendly: true,
                results: shown.map((hit) => ({
                  type: 'search_result',
                  title: hit.title,
                  url: hit.url,
                  description: hit.snippet ?? '',
                  is_source_local: false,
                  is_source_both: false,
                  profile: { name: new URL(hit.url, 'http://invalid').hostname },
                  language: 'en',
                  family_friendly: true,
                  ...(hit.publishedAt ? { page_age: hit.publishedAt, age: hit.publishedAt } : {}),
                })),
              },
            }
          : {}),
      };
    },
    fail: (res, status, message) => sendBraveError(res, status, 'SCRIPTED', message ?? `Scripted failure ${status}`),
  },
};

function sendBraveError(res: ServerResponse, status: number, code: string, detail: string): void {
  sendJson(res, status, {
    type: 'ErrorResponse',
    error: { id: randomUUID(), status, code, detail, meta: { component: 'api' } },
    time: Math.floor(Date.now() / 1000),
  });
}

function sendHtml(res: ServerResponse, status: number, title: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>${status} ${title}</title><h1>${title}</h1>`);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
