import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { parseJsonObject, pause, readBody, sendJson } from './stand-in-http';

/**
 * A stand-in for Google's Gemini API: a real HTTP server speaking
 * `POST /v1beta/models/{model}:streamGenerateContent?alt=sse` (SSE frames of GenerateContentResponse,
 * thoughts, function calls, usage, Google's error body), scripted per request. Give `baseURL` to the
 * Google provider; tests see every request it received and whether the client hung up.
 */

export interface FakeGoogleFunctionCall {
  id?: string;
  name: string;
  args: Record<string, unknown>;
}

export interface FakeGoogleFailure {
  status: number;
  /** Google's status name; defaults from the HTTP status (429 → RESOURCE_EXHAUSTED, …). */
  statusName?: string;
  message?: string;
  /** Sent as a `google.rpc.RetryInfo` detail, e.g. `"7s"`. */
  retryDelay?: string;
}

/** What the stand-in does with one request. `{}` answers "Hello world". */
export interface FakeGoogleScript {
  /** Text parts, one frame each. */
  tokens?: string[];
  /** Thought parts (`thought: true`), sent before the text. */
  thoughts?: string[];
  /** Function calls, one frame each, after the text. */
  functionCalls?: FakeGoogleFunctionCall[];
  /** Sent on the last frame; defaults to STOP. */
  finishReason?: string;
  /** Defaults to the number of contents, and of scripted parts. */
  usage?: {
    promptTokenCount: number;
    candidatesTokenCount: number;
    thoughtsTokenCount?: number;
    cachedContentTokenCount?: number;
  };
  /** Answer with `promptFeedback.blockReason` and no candidates. */
  blockReason?: string;
  /** Wait before the response headers. */
  headersDelayMs?: number;
  /** Wait before the first frame, and before every following one. */
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
  /** Answer with this error status and Google's error body instead of streaming. */
  fail?: FakeGoogleFailure;
  /** Never answer at all, until the client gives up. */
  hang?: boolean;
  /** Destroy the socket after this many text frames. */
  dropAfterTokens?: number;
  /** After the text frames, end the response cleanly without a finish reason. */
  truncate?: boolean;
  /** After the text frames, send nothing more (until the client gives up). */
  hangAfterTokens?: boolean;
  /** After the text frames, send a frame holding Google's error body (as Gemini does when it fails mid-answer) and end. */
  streamError?: FakeGoogleFailure;
}

export type FakeGoogleScriptSource = FakeGoogleScript | ((body: FakeGoogleRequestBody) => FakeGoogleScript);

export interface FakeGoogleRequestBody {
  contents?: Array<{ role?: string; parts?: Array<Record<string, unknown>> }>;
  systemInstruction?: { role?: string; parts?: Array<Record<string, unknown>> };
  generationConfig?: Record<string, unknown>;
  tools?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

export interface FakeGoogleRequest {
  method: string;
  path: string;
  /** The query string's parameters (`alt=sse`; `key` if a client sent the key there). */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: FakeGoogleRequestBody | undefined;
  /** The model named in the path. */
  model?: string;
  closedByClient: boolean;
  /** Settles when the client closes the connection before the answer ended. */
  clientClosed: Promise<void>;
}

/** A model `GET /v1beta/models` lists; `methods` defaults to generateContent and countTokens. */
export interface FakeGoogleModel {
  id: string;
  methods?: string[];
}

export interface FakeGoogle {
  /** `http://127.0.0.1:<port>`: the SDK appends `/v1beta/models/…`. */
  baseURL: string;
  requests: FakeGoogleRequest[];
  /** Queues scripts for the next requests, one each; when the queue is empty the default answers. */
  script(...scripts: FakeGoogleScriptSource[]): void;
  setDefault(script: FakeGoogleScriptSource): void;
  /** What `GET /v1beta/models` lists from now on. */
  setModels(models: FakeGoogleModel[]): void;
  /** Stops the server, cutting any request still open. */
  close(): Promise<void>;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const ROUTE = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/;

export async function startFakeGoogle(options: { defaultScript?: FakeGoogleScriptSource } = {}): Promise<FakeGoogle> {
  const queue: FakeGoogleScriptSource[] = [];
  let fallback: FakeGoogleScriptSource = options.defaultScript ?? { tokens: ['Hello', ' world'] };
  let models: FakeGoogleModel[] = [
    { id: 'gemini-fake-pro' },
    { id: 'gemini-fake-flash' },
    { id: 'fake-embedding', methods: ['embedContent'] },
  ];
  const requests: FakeGoogleRequest[] = [];
  const shutdown = new AbortController();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('fake-google handler failed', error);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    let resolveClosed!: () => void;
    const record: FakeGoogleRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: parseJsonObject<FakeGoogleRequestBody>(raw),
      model: ROUTE.exec(url.pathname)?.[1],
      closedByClient: false,
      clientClosed: new Promise<void>((resolve) => (resolveClosed = resolve)),
    };
    requests.push(record);

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

    if (record.method === 'GET' && record.path === '/v1beta/models') {
      // One page holds them all (the stand-in ignores `pageSize`), in the Gemini API's shape.
      sendJson(res, 200, {
        models: models.map(({ id, methods }) => ({
          name: `models/${id}`,
          version: '001',
          displayName: id,
          inputTokenLimit: 1_048_576,
          outputTokenLimit: 65_536,
          supportedGenerationMethods: methods ?? ['generateContent', 'countTokens'],
        })),
      });
      return;
    }
    if (record.method !== 'POST' || !record.model || record.query.get('alt') !== 'sse') {
      sendError(res, { status: 404, message: `Unknown route ${record.method} ${req.url ?? ''}` });
      return;
    }
    if (!record.body) {
      sendError(res, { status: 400, message: 'Invalid JSON payload received.' });
      return;
    }
    const source = queue.shift() ?? fallback;
    const script = typeof source === 'function' ? source(record.body) : source;
    const wait = (ms: number | undefined): Promise<boolean> => pause(ms, gone.signal);
    if (script.hang) return;
    if (!(await wait(script.headersDelayMs))) return;
    if (script.fail) {
      sendError(res, script.fail);
      return;
    }
    await streamAnswer(res, record.body, script, wait);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    script: (...scripts) => queue.push(...scripts),
    setDefault: (script) => {
      fallback = script;
    },
    setModels: (list) => {
      models = list;
    },
    close: async () => {
      shutdown.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function streamAnswer(
  res: ServerResponse,
  body: FakeGoogleRequestBody,
  script: FakeGoogleScript,
  wait: (ms: number | undefined) => Promise<boolean>,
): Promise<void> {
  let flushed: Promise<void> = Promise.resolve();
  const send = (payload: unknown): void => {
    flushed = new Promise((resolve) => res.write(`data: ${JSON.stringify(payload)}\r\n\r\n`, () => resolve()));
  };
  const frame = (parts: Array<Record<string, unknown>>): Record<string, unknown> => ({
    candidates: [{ content: { role: 'model', parts }, index: 0 }],
    modelVersion: 'fake-gemini',
  });
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });

  if (script.blockReason) {
    send({ promptFeedback: { blockReason: script.blockReason }, usageMetadata: usageOf(body, script) });
    res.end();
    return;
  }
  let first = true;
  const beforeFrame = (): Promise<boolean> => {
    const ms = first ? script.firstTokenDelayMs : script.tokenDelayMs;
    first = false;
    return wait(ms);
  };
  for (const text of script.thoughts ?? []) {
    if (!(await beforeFrame())) return;
    send(frame([{ text, thought: true }]));
  }
  let sent = 0;
  for (const text of script.tokens ?? []) {
    if (script.dropAfterTokens !== undefined && sent >= script.dropAfterTokens) {
      await flushed;
      res.socket?.destroy();
      return;
    }
    if (!(await beforeFrame())) return;
    send(frame([{ text }]));
    sent += 1;
  }
  if (script.truncate) {
    res.end();
    return;
  }
  if (script.hangAfterTokens) return;
  if (script.streamError) {
    send(errorBody(script.streamError));
    res.end();
    return;
  }
  for (const call of script.functionCalls ?? []) {
    if (!(await beforeFrame())) return;
    send(frame([{ functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args: call.args } }]));
  }
  if (!(await beforeFrame())) return;
  send({
    candidates: [
      { content: { role: 'model', parts: [{ text: '' }] }, finishReason: script.finishReason ?? 'STOP', index: 0 },
    ],
    usageMetadata: usageOf(body, script),
    modelVersion: 'fake-gemini',
  });
  res.end();
}

function usageOf(body: FakeGoogleRequestBody, script: FakeGoogleScript): Record<string, number> {
  const usage = script.usage ?? {
    promptTokenCount: body.contents?.length ?? 0,
    candidatesTokenCount: (script.tokens?.length ?? 0) + (script.functionCalls?.length ?? 0),
    ...(script.thoughts ? { thoughtsTokenCount: script.thoughts.length } : {}),
  };
  return {
    ...usage,
    totalTokenCount: usage.promptTokenCount + usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0),
  };
}

/** Google's error body: `{error: {code, message, status, details?}}`. */
function errorBody(failure: FakeGoogleFailure): Record<string, unknown> {
  const details = failure.retryDelay
    ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: failure.retryDelay }]
    : undefined;
  return {
    error: {
      code: failure.status,
      message: failure.message ?? `Scripted failure ${failure.status}`,
      status: failure.statusName ?? STATUS_NAMES[failure.status] ?? 'UNKNOWN',
      ...(details ? { details } : {}),
    },
  };
}

function sendError(res: ServerResponse, failure: FakeGoogleFailure): void {
  res.writeHead(failure.status, { 'Content-Type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(errorBody(failure)));
}
