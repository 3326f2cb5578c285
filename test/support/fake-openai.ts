import { randomUUID } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseJsonObject, pause, readBody, sendJson, splitInto } from './stand-in-http';

/**
 * A stand-in for OpenAI: a real HTTP server speaking the chat-completions protocol (streamed
 * `chat.completion.chunk` frames, usage, `[DONE]`, OpenAI's error body), scripted per test. Point
 * `OPENAI_BASE_URL` (or a custom endpoint's baseURL) at `baseURL`; the service cannot tell it from
 * the real thing, and tests can see every request it received and whether the client hung up.
 */

/** One tool call the scripted model makes; its arguments are streamed in `argumentChunks` pieces. */
export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: string;
  argumentChunks?: number;
}

export interface FakeFailure {
  status: number;
  message?: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  /** Sent as the Retry-After header (seconds or an HTTP date). */
  retryAfter?: string;
}

/** What the stand-in does with one request. Everything is optional; `{}` answers "Hello world". */
export interface FakeScript {
  /** Content deltas, in order. */
  tokens?: string[];
  /** Reasoning deltas sent before the content, in the field some compatible servers use. */
  reasoning?: string[];
  reasoningField?: 'reasoning_content' | 'reasoning';
  toolCalls?: FakeToolCall[];
  /** Defaults to `tool_calls` when the script has tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /**
   * Defaults to the number of messages and of scripted deltas; sent as given (with `total_tokens`),
   * so the details OpenAI adds for reasoning and cached tokens can be scripted too.
   */
  usage?: {
    prompt_tokens: number;
    completion_tokens: number;
    completion_tokens_details?: { reasoning_tokens: number };
    prompt_tokens_details?: { cached_tokens: number };
  };
  /** Wait before the response headers. */
  headersDelayMs?: number;
  /** Wait between the role chunk and the first delta. */
  firstTokenDelayMs?: number;
  /** Wait before every following delta. */
  tokenDelayMs?: number;
  /** Answer with this error status and OpenAI's error body instead of streaming. */
  fail?: FakeFailure;
  /** Destroy the socket after this many content deltas (reasoning and tool-call deltas don't count). */
  dropAfterTokens?: number;
  /** Never answer at all: no headers, no body, until the client gives up. */
  hang?: boolean;
  /** Send the headers and the role chunk, then nothing more. */
  hangAfterHeaders?: boolean;
  /** After the content deltas, send nothing more (until the client gives up). */
  hangAfterTokens?: boolean;
  /** After the content deltas, end the response cleanly but without a finish reason or `[DONE]`. */
  truncate?: boolean;
  /** After the content deltas, send an `error` frame (as OpenAI does when it fails mid-answer) and end. */
  streamError?: { message: string; type?: string; code?: string | null };
}

/** What the stand-in does with one `POST /v1/images/generations`. `{}` answers one tiny PNG. */
export interface FakeImageScript {
  /** The base64 image data of the answer's one image; defaults to {@link FAKE_PNG}'s. */
  b64Json?: string;
  /** Answer a `url` instead of `b64_json` (as DALL·E does by default). */
  url?: string;
  revisedPrompt?: string;
  /** Sent as the answer's `usage` (gpt-image models report one). */
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
  /** Echoed at the answer's top level, as gpt-image models do. */
  size?: string;
  quality?: string;
  /** Answer with no `data` entry at all. */
  noData?: boolean;
  /** Wait before answering (abort and timeout tests). */
  delayMs?: number;
  /** Never answer, until the client gives up. */
  hang?: boolean;
  /** Answer with this error status and OpenAI's error body. */
  fail?: FakeFailure;
}

/** A script, or a function choosing one from the request body. */
export type FakeScriptSource = FakeScript | ((body: FakeRequestBody) => FakeScript);

/** The parts of a chat-completions request body the stand-in reads; the rest is kept as sent. */
export interface FakeRequestBody {
  model?: string;
  messages?: Array<Record<string, unknown>>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined for GET, or a body that was not JSON). */
  body: FakeRequestBody | undefined;
  receivedAt: number;
  /** `performance.now()` when the request arrived (for latency measurements). */
  receivedAtPerf: number;
  /** True when the client closed the connection before the stand-in finished its answer. */
  closedByClient: boolean;
  closedAt?: number;
  /** `performance.now()` when the stand-in wrote the end of a complete answer (for latency measurements). */
  finishedAt?: number;
  /** Resolves when the client closes the connection before the answer ended (never, otherwise). */
  readonly clientClosed: Promise<void>;
  /** Content deltas actually written to this client. */
  tokensSent: number;
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:<port>/v1`, what OPENAI_BASE_URL should be. */
  baseURL: string;
  /** Every request received, in arrival order, but the title requests (see {@link titleRequests}). */
  requests: RecordedRequest[];
  /** Queues scripts for the next requests, one each; when the queue is empty the default script answers. */
  script(...scripts: FakeScriptSource[]): void;
  /** Replaces the script used when the queue is empty. */
  setDefault(script: FakeScriptSource): void;
  /**
   * The requests for a conversation's title ({@link isTitleRequest}), in arrival order. They are
   * answered from their own scripts, so a title asked for beside an answer never takes the answer's.
   */
  titleRequests: RecordedRequest[];
  /** Queues scripts for the next title requests, one each; when the queue is empty the title default answers. */
  scriptTitles(...scripts: FakeScriptSource[]): void;
  /** Replaces the script title requests get when their queue is empty (at first: "Generated title"). */
  setTitleDefault(script: FakeScriptSource): void;
  /** Queues scripts for the next image requests (`POST /v1/images/generations`), one each; `{}` when empty. */
  scriptImages(...scripts: FakeImageScript[]): void;
  /** What `GET /v1/models` answers from now on: these model ids, or this error. `['fake-model']` at first. */
  setModels(answer: string[] | { fail: FakeFailure }): void;
  /** Stops the server, cutting any request still open (hanging ones included). */
  close(): Promise<void>;
}

const DEFAULT_SCRIPT: FakeScript = { tokens: ['Hello', ' world'] };
const DEFAULT_TITLE_SCRIPT: FakeScript = { tokens: ['Generated', ' title'] };

/** How the service's title prompt begins (libs/generation's TITLE_INSTRUCTIONS). */
export const TITLE_PROMPT_START = 'Write a title for the conversation';

/** A request for a conversation's title: its system message is the service's title prompt. */
export function isTitleRequest(body: FakeRequestBody | undefined): boolean {
  const first = body?.messages?.[0];
  return (
    (first?.role === 'system' || first?.role === 'developer') &&
    typeof first.content === 'string' &&
    first.content.startsWith(TITLE_PROMPT_START)
  );
}

export async function startFakeOpenAI(options: { defaultScript?: FakeScriptSource } = {}): Promise<FakeOpenAI> {
  const queue: FakeScriptSource[] = [];
  const titleQueue: FakeScriptSource[] = [];
  const imageQueue: FakeImageScript[] = [];
  let fallback: FakeScriptSource = options.defaultScript ?? DEFAULT_SCRIPT;
  let titleFallback: FakeScriptSource = DEFAULT_TITLE_SCRIPT;
  let models: string[] | { fail: FakeFailure } = ['fake-model'];
  const requests: RecordedRequest[] = [];
  const titleRequests: RecordedRequest[] = [];
  /** Aborted on close(), so no scripted delay keeps the process alive after a test. */
  const shutdown = new AbortController();

  const nextScript = (body: FakeRequestBody, title: boolean): FakeScript => {
    const source = title ? (titleQueue.shift() ?? titleFallback) : (queue.shift() ?? fallback);
    return typeof source === 'function' ? source(body) : source;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A handler bug must fail loudly in the test output, not hang the client.
      console.error('fake-openai handler failed', error);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let resolveClosed!: () => void;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      headers: req.headers,
      body: parseJsonObject<FakeRequestBody>(raw),
      receivedAt: Date.now(),
      receivedAtPerf: performance.now(),
      closedByClient: false,
      clientClosed: new Promise<void>((resolve) => (resolveClosed = resolve)),
      tokensSent: 0,
    };
    const title = record.method === 'POST' && record.path === '/v1/chat/completions' && isTitleRequest(record.body);
    (title ? titleRequests : requests).push(record);

    // Aborted when this response can no longer be written to: the client left or the server stops.
    const gone = new AbortController();
    const onShutdown = (): void => gone.abort();
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    res.on('finish', () => {
      record.finishedAt = performance.now();
    });
    res.on('close', () => {
      shutdown.signal.removeEventListener('abort', onShutdown);
      if (!res.writableFinished && !shutdown.signal.aborted) {
        record.closedByClient = true;
        record.closedAt = Date.now();
        resolveClosed();
      }
      gone.abort();
    });

    if (record.method === 'GET' && record.path === '/v1/models') {
      if (!Array.isArray(models)) {
        sendError(res, models.fail);
        return;
      }
      sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
      });
      return;
    }
    if (record.method === 'POST' && record.path === '/v1/images/generations') {
      await answerImage(res, record, imageQueue.shift() ?? {}, gone.signal);
      return;
    }
    if (record.method !== 'POST' || record.path !== '/v1/chat/completions') {
      sendError(res, {
        status: 404,
        message: `Unknown route ${record.method} ${record.path}`,
        type: 'invalid_request_error',
      });
      return;
    }
    if (!record.body) {
      sendError(res, { status: 400, message: 'The body is not valid JSON', type: 'invalid_request_error' });
      return;
    }

    const script = nextScript(record.body, title);
    const wait = (ms: number | undefined): Promise<boolean> => pause(ms, gone.signal);
    if (script.hang) return; // the response stays open until the client or close() ends it
    if (!(await wait(script.headersDelayMs))) return;
    if (script.fail) {
      sendError(res, script.fail);
      return;
    }
    if (record.body.stream === true) {
      await streamAnswer(res, record, script, wait);
    } else {
      sendJson(res, 200, completion(record.body, script));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    titleRequests,
    script: (...scripts) => queue.push(...scripts),
    scriptTitles: (...scripts) => titleQueue.push(...scripts),
    setTitleDefault: (script) => {
      titleFallback = script;
    },
    scriptImages: (...scripts) => imageQueue.push(...scripts),
    setModels: (answer) => {
      models = answer;
    },
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

/** A valid 8x8 PNG (a red square), made here: signature, IHDR, one zlib IDAT, IEND, each chunk with its CRC. */
export const FAKE_PNG: Buffer = tinyPng(8, 8, [0xe0, 0x30, 0x30]);

function tinyPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method, no interlace
  // Each row: filter type 0, then its pixels.
  const row = Buffer.from([0, ...Array.from({ length: width }, () => [r, g, b]).flat()]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Answers an image generation as the Images API does: `{created, data: [{b64_json | url, revised_prompt?}], usage?}`. */
async function answerImage(
  res: ServerResponse,
  record: RecordedRequest,
  script: FakeImageScript,
  gone: AbortSignal,
): Promise<void> {
  if (script.hang) return;
  if (!(await pause(script.delayMs, gone))) return;
  if (!record.body) {
    sendError(res, { status: 400, message: 'The body is not valid JSON', type: 'invalid_request_error' });
    return;
  }
  if (script.fail) {
    sendError(res, script.fail);
    return;
  }
  const image: Record<string, unknown> =
    script.url !== undefined ? { url: script.url } : { b64_json: script.b64Json ?? FAKE_PNG.toString('base64') };
  if (script.revisedPrompt !== undefined) image.revised_prompt = script.revisedPrompt;
  sendJson(res, 200, {
    created: Math.floor(Date.now() / 1000),
    data: script.noData ? [] : [image],
    ...(script.size !== undefined ? { size: script.size } : {}),
    ...(script.quality !== undefined ? { quality: script.quality } : {}),
    ...(script.usage ? { usage: script.usage } : {}),
  });
}

/** Writes the chunks of a streamed answer, honouring the script's delays, drop and hang. */
async function streamAnswer(
  res: ServerResponse,
  record: RecordedRequest,
  script: FakeScript,
  wait: (ms: number | undefined) => Promise<boolean>,
): Promise<void> {
  const body = record.body ?? {};
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? 'fake-model';
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  /** Settles when the last frame written has been handed to the kernel. */
  let flushed: Promise<void> = Promise.resolve();
  const send = (payload: unknown): void => {
    flushed = new Promise((resolve) => res.write(`data: ${JSON.stringify(payload)}\n\n`, () => resolve()));
  };
  /** Cuts the connection mid-answer, after the frames already written have left (destroy discards unsent data). */
  const drop = async (): Promise<void> => {
    await flushed;
    res.socket?.destroy();
  };

  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  send(chunk({ role: 'assistant', content: '', refusal: null }));
  if (script.hangAfterHeaders) return;

  // Every delta but the first waits tokenDelayMs; the first waits firstTokenDelayMs.
  let first = true;
  const beforeDelta = (): Promise<boolean> => {
    const ms = first ? script.firstTokenDelayMs : script.tokenDelayMs;
    first = false;
    return wait(ms);
  };

  const reasoningField = script.reasoningField ?? 'reasoning_content';
  for (const text of script.reasoning ?? []) {
    if (!(await beforeDelta())) return;
    send(chunk({ [reasoningField]: text }));
  }
  for (const text of script.tokens ?? []) {
    if (script.dropAfterTokens !== undefined && record.tokensSent >= script.dropAfterTokens) {
      await drop();
      return;
    }
    if (!(await beforeDelta())) return;
    send(chunk({ content: text }));
    record.tokensSent += 1;
  }
  if (script.hangAfterTokens) return;
  if (script.truncate) {
    res.end();
    return;
  }
  if (script.streamError) {
    const { message, type = 'server_error', code = null } = script.streamError;
    send({ error: { message, type, code, param: null } });
    res.end();
    return;
  }
  for (const [index, call] of (script.toolCalls ?? []).entries()) {
    const parts = splitInto(call.arguments, call.argumentChunks ?? 3);
    if (!(await beforeDelta())) return;
    send(
      chunk({
        tool_calls: [
          {
            index,
            id: call.id ?? `call_${randomUUID().slice(0, 8)}`,
            type: 'function',
            function: { name: call.name, arguments: '' },
          },
        ],
      }),
    );
    for (const part of parts) {
      if (!(await beforeDelta())) return;
      send(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
    }
  }
  if (script.dropAfterTokens !== undefined) {
    await drop(); // dropping after all tokens: the answer never ends
    return;
  }

  send(chunk({}, finishReasonOf(script)));
  if (includeUsage) {
    send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOf(body, script) });
  }
  res.end('data: [DONE]\n\n');
}

/** The non-streaming answer: one `chat.completion` carrying everything the script would have streamed. */
function completion(body: FakeRequestBody, script: FakeScript): Record<string, unknown> {
  const toolCalls = (script.toolCalls ?? []).map((call) => ({
    id: call.id ?? `call_${randomUUID().slice(0, 8)}`,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'fake-model',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: script.tokens ? script.tokens.join('') : toolCalls.length > 0 ? null : 'Hello world',
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(script),
      },
    ],
    usage: usageOf(body, script),
  };
}

function finishReasonOf(script: FakeScript): string {
  return script.finishReason ?? (script.toolCalls && script.toolCalls.length > 0 ? 'tool_calls' : 'stop');
}

function usageOf(body: FakeRequestBody, script: FakeScript): Record<string, unknown> {
  const usage = script.usage ?? {
    prompt_tokens: body.messages?.length ?? 0,
    completion_tokens: (script.tokens?.length ?? 0) + (script.reasoning?.length ?? 0),
  };
  return { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
}

function sendError(res: ServerResponse, failure: FakeFailure): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (failure.retryAfter !== undefined) headers['Retry-After'] = failure.retryAfter;
  res.writeHead(failure.status, headers);
  res.end(
    JSON.stringify({
      error: {
        message: failure.message ?? `Scripted failure ${failure.status}`,
        type: failure.type ?? (failure.status >= 500 ? 'server_error' : 'invalid_request_error'),
        code: failure.code ?? null,
        param: failure.param ?? null,
      },
    }),
  );
}
