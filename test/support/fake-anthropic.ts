import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { parseJsonObject, pause, readBody, sendJson, splitInto } from './stand-in-http';

/**
 * A stand-in for Anthropic: a real HTTP server speaking the Messages API's streamed answer
 * (`message_start`, content blocks with text, thinking and tool-use deltas, `message_delta`,
 * `message_stop`, interleaved `ping`s) and its error body, scripted per test. Point an
 * Anthropic client's baseURL at `baseURL`; tests see every request it received and whether the
 * client hung up.
 */

/** One tool call the scripted model makes; its JSON input is streamed in `jsonChunks` pieces. */
export interface FakeAnthropicToolCall {
  id?: string;
  name: string;
  /** The input as JSON text. */
  input: string;
  jsonChunks?: number;
}

export interface FakeAnthropicFailure {
  status: number;
  /** Anthropic's `error.type`; defaults from the status (`overloaded_error` for 529, …). */
  type?: string;
  message?: string;
  /** Sent as the Retry-After header (seconds or an HTTP date). */
  retryAfter?: string;
}

/** What the stand-in does with one request. Everything is optional; `{}` answers "Hello world". */
export interface FakeAnthropicScript {
  /** Text deltas of one text block, in order. */
  tokens?: string[];
  /** Thinking deltas of a thinking block sent first (followed by its signature). */
  thinking?: string[];
  toolCalls?: FakeAnthropicToolCall[];
  /** Defaults to `tool_use` when the script has tool calls, else `end_turn`. */
  stopReason?: string;
  /** Defaults to the number of messages in, and of scripted deltas out. */
  usage?: {
    input_tokens: number;
    output_tokens: number;
    cache_read_input_tokens?: number;
    cache_creation_input_tokens?: number;
  };
  /** Wait before the response headers. */
  headersDelayMs?: number;
  /** Wait before the first delta. */
  firstTokenDelayMs?: number;
  /** Wait before every following delta. */
  tokenDelayMs?: number;
  /** Answer with this status and Anthropic's error body instead of streaming. */
  fail?: FakeAnthropicFailure;
  /** Never answer at all: no headers, no body, until the client gives up. */
  hang?: boolean;
  /** Send the headers and `message_start`, then nothing more. */
  hangAfterHeaders?: boolean;
  /** After the text deltas, send nothing more (until the client gives up). */
  hangAfterTokens?: boolean;
  /** After the text deltas, send an `event: error` (as Anthropic does when it fails mid-answer) and end. */
  streamError?: { type: string; message: string };
  /** Send an `event: ping` before every delta. */
  pings?: boolean;
}

/** A script, or a function choosing one from the request body. */
export type FakeAnthropicScriptSource = FakeAnthropicScript | ((body: FakeAnthropicRequestBody) => FakeAnthropicScript);

/** The parts of a Messages request body the stand-in reads; the rest is kept as sent. */
export interface FakeAnthropicRequestBody {
  model?: string;
  messages?: Array<Record<string, unknown>>;
  stream?: boolean;
  [key: string]: unknown;
}

export interface RecordedAnthropicRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: FakeAnthropicRequestBody | undefined;
  /** True when the client closed the connection before the stand-in finished its answer. */
  closedByClient: boolean;
  /** Resolves when the client closes the connection before the answer ended (never, otherwise). */
  readonly clientClosed: Promise<void>;
  /** Text deltas actually written to this client. */
  tokensSent: number;
}

export interface FakeAnthropic {
  /** `http://127.0.0.1:<port>`, an Anthropic client's baseURL (the SDK adds `/v1/messages`). */
  baseURL: string;
  /** Every request received, in arrival order. */
  requests: RecordedAnthropicRequest[];
  /** Queues scripts for the next requests, one each; when the queue is empty the default script answers. */
  script(...scripts: FakeAnthropicScriptSource[]): void;
  /** Replaces the script used when the queue is empty. */
  setDefault(script: FakeAnthropicScriptSource): void;
  /** What `GET /v1/models` lists from now on, newest first as Anthropic does. */
  setModels(ids: string[]): void;
  /** Stops the server, cutting any request still open (hanging ones included). */
  close(): Promise<void>;
}

const DEFAULT_SCRIPT: FakeAnthropicScript = { tokens: ['Hello', ' world'] };

export async function startFakeAnthropic(
  options: { defaultScript?: FakeAnthropicScriptSource } = {},
): Promise<FakeAnthropic> {
  const queue: FakeAnthropicScriptSource[] = [];
  let fallback: FakeAnthropicScriptSource = options.defaultScript ?? DEFAULT_SCRIPT;
  let models = ['claude-fake-opus', 'claude-fake-haiku'];
  const requests: RecordedAnthropicRequest[] = [];
  /** Aborted on close(), so no scripted delay keeps the process alive after a test. */
  const shutdown = new AbortController();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A handler bug must fail loudly in the test output, not hang the client.
      console.error('fake-anthropic handler failed', error);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let resolveClosed!: () => void;
    const record: RecordedAnthropicRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      headers: req.headers,
      body: parseJsonObject<FakeAnthropicRequestBody>(raw),
      closedByClient: false,
      clientClosed: new Promise<void>((resolve) => (resolveClosed = resolve)),
      tokensSent: 0,
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

    if (record.method === 'GET' && record.path === '/v1/models') {
      // One page holds them all (the stand-in ignores `limit`), in Anthropic's list shape.
      sendJson(res, 200, {
        data: models.map((id) => ({
          type: 'model',
          id,
          display_name: id,
          created_at: '2025-01-01T00:00:00Z',
        })),
        has_more: false,
        first_id: models[0] ?? null,
        last_id: models.at(-1) ?? null,
      });
      return;
    }
    if (record.method !== 'POST' || record.path !== '/v1/messages') {
      sendError(res, {
        status: 404,
        type: 'not_found_error',
        message: `Unknown route ${record.method} ${record.path}`,
      });
      return;
    }
    if (!record.body) {
      sendError(res, { status: 400, type: 'invalid_request_error', message: 'The body is not valid JSON' });
      return;
    }
    const source = queue.shift() ?? fallback;
    const script = typeof source === 'function' ? source(record.body) : source;
    const wait = (ms: number | undefined): Promise<boolean> => pause(ms, gone.signal);
    if (script.hang) return; // the response stays open until the client or close() ends it
    if (!(await wait(script.headersDelayMs))) return;
    if (script.fail) {
      sendError(res, script.fail);
      return;
    }
    if (record.body.stream !== true) {
      sendError(res, { status: 400, type: 'invalid_request_error', message: 'The stand-in only streams' });
      return;
    }
    await streamAnswer(res, record, script, wait);
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
    setModels: (ids) => {
      models = ids;
    },
    close: async () => {
      shutdown.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** Writes the events of a streamed answer, honouring the script's delays, hangs and errors. */
async function streamAnswer(
  res: ServerResponse,
  record: RecordedAnthropicRequest,
  script: FakeAnthropicScript,
  wait: (ms: number | undefined) => Promise<boolean>,
): Promise<void> {
  const body = record.body ?? {};
  const send = (event: string, data: Record<string, unknown>): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  };
  const usage = script.usage ?? {
    input_tokens: body.messages?.length ?? 0,
    output_tokens: (script.tokens?.length ?? 0) + (script.thinking?.length ?? 0),
  };

  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
  send('message_start', {
    message: {
      id: `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      type: 'message',
      role: 'assistant',
      model: body.model ?? 'fake-model',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: usage.input_tokens,
        output_tokens: 1,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
      },
    },
  });
  if (script.hangAfterHeaders) return;

  // Every delta but the first waits tokenDelayMs; the first waits firstTokenDelayMs.
  let first = true;
  const beforeDelta = async (): Promise<boolean> => {
    const ms = first ? script.firstTokenDelayMs : script.tokenDelayMs;
    first = false;
    if (!(await wait(ms))) return false;
    if (script.pings) send('ping', {});
    return true;
  };
  let index = 0;

  if (script.thinking && script.thinking.length > 0) {
    send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    for (const thinking of script.thinking) {
      if (!(await beforeDelta())) return;
      send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } });
    }
    send('content_block_delta', { index, delta: { type: 'signature_delta', signature: 'fake-signature' } });
    send('content_block_stop', { index });
    index += 1;
  }
  const tokens = script.tokens ?? (script.toolCalls ? [] : (DEFAULT_SCRIPT.tokens ?? []));
  if (tokens.length > 0) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const text of tokens) {
      if (!(await beforeDelta())) return;
      send('content_block_delta', { index, delta: { type: 'text_delta', text } });
      record.tokensSent += 1;
    }
    if (script.hangAfterTokens) return;
    if (script.streamError) {
      send('error', { error: script.streamError });
      res.end();
      return;
    }
    send('content_block_stop', { index });
    index += 1;
  } else if (script.streamError) {
    send('error', { error: script.streamError });
    res.end();
    return;
  }
  for (const call of script.toolCalls ?? []) {
    if (!(await beforeDelta())) return;
    send('content_block_start', {
      index,
      content_block: {
        type: 'tool_use',
        id: call.id ?? `toolu_${randomUUID().slice(0, 8)}`,
        name: call.name,
        input: {},
      },
    });
    for (const partial_json of splitInto(call.input, call.jsonChunks ?? 3)) {
      if (!(await beforeDelta())) return;
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
    }
    send('content_block_stop', { index });
    index += 1;
  }
  const stopReason = script.stopReason ?? (script.toolCalls && script.toolCalls.length > 0 ? 'tool_use' : 'end_turn');
  send('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send('message_stop', {});
  res.end();
}

function defaultErrorType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  return 'api_error';
}

function sendError(res: ServerResponse, failure: FakeAnthropicFailure): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'request-id': `req_${randomUUID()}` };
  if (failure.retryAfter !== undefined) headers['Retry-After'] = failure.retryAfter;
  // Anthropic sends this on every error; the SDK's retries are off in the adapter, so it must not matter.
  headers['x-should-retry'] = String(failure.status === 429 || failure.status >= 500);
  res.writeHead(failure.status, headers);
  res.end(
    JSON.stringify({
      type: 'error',
      error: {
        type: failure.type ?? defaultErrorType(failure.status),
        message: failure.message ?? `Scripted failure ${failure.status}`,
      },
    }),
  );
}
