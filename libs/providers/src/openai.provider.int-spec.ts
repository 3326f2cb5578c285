import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { loadConfig } from '@agents/core';
import {
  type ChatProvider,
  ChatProviderFactory,
  type ChatRequest,
  OpenAIChatProvider,
  ProviderError,
  type ProviderEvent,
  ProviderRegistry,
} from '@agents/providers';
import { type FakeOpenAI, startFakeOpenAI } from '@agents/testing/fake-openai';

const OPENAI_KEY = 'sk-openai-test-key';
const CUSTOM_KEY = 'sk-custom-endpoint-key';

let openaiServer: FakeOpenAI;
let customServer: FakeOpenAI;
let dir: string;
let factory: ChatProviderFactory;

beforeAll(async () => {
  [openaiServer, customServer] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  dir = mkdtempSync(join(tmpdir(), 'agents-providers-'));
  const configPath = join(dir, 'agents.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      customEndpoints: [
        { name: 'local-llm', baseURL: customServer.baseURL, apiKey: CUSTOM_KEY, models: ['llama3'] },
        { name: 'keyless', baseURL: customServer.baseURL, models: [] },
      ],
    }),
  );
  // The real configuration path: environment variables and a config file, validated by loadConfig.
  const config = loadConfig({
    DATA_DIR: dir,
    JWT_SECRET: 'a-test-secret-that-is-at-least-32-chars',
    OPENAI_BASE_URL: openaiServer.baseURL,
    OPENAI_API_KEY: OPENAI_KEY,
    PROVIDER_FIRST_TOKEN_TIMEOUT_MS: '5000',
    CONFIG_PATH: configPath,
  });
  factory = new ChatProviderFactory(config, new ProviderRegistry(config));
});

afterAll(async () => {
  await Promise.all([openaiServer?.close(), customServer?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'gpt-test', messages: [{ role: 'user', content: 'Hi' }], ...overrides };
}

interface Outcome {
  events: ProviderEvent[];
  error?: ProviderError;
  elapsedMs: number;
}

/** Drains a stream, keeping what arrived before a failure; `onEvent` may abort along the way. */
async function run(
  provider: ChatProvider,
  chatRequest: ChatRequest,
  signal: AbortSignal = new AbortController().signal,
  onEvent: (event: ProviderEvent, events: ProviderEvent[]) => void = () => undefined,
): Promise<Outcome> {
  const events: ProviderEvent[] = [];
  const startedAt = Date.now();
  try {
    for await (const event of provider.stream(chatRequest, signal)) {
      events.push(event);
      onEvent(event, events);
    }
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { events, error, elapsedMs: Date.now() - startedAt };
  }
  return { events, elapsedMs: Date.now() - startedAt };
}

const texts = (events: ProviderEvent[]): string[] => events.flatMap((e) => (e.type === 'text' ? [e.text] : []));

/** The request the stand-in recorded most recently. */
const lastRequest = (server: FakeOpenAI) => server.requests[server.requests.length - 1];

/** Resolves when `promise` does, or fails the test after `ms`. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('OpenAIChatProvider against the stand-in', () => {
  it('yields the scripted tokens in order, then usage, then done', async () => {
    const tokens = ['The', ' quick', ' brown', ' fox', ' jumps', ' 🦊', '.'];
    openaiServer.script({ tokens, tokenDelayMs: 5, usage: { prompt_tokens: 12, completion_tokens: 7 } });

    const { events, error } = await run(factory.forAgent('openai'), request());

    expect(error).toBeUndefined();
    expect(texts(events)).toEqual(tokens);
    expect(events.slice(-2)).toEqual([
      { type: 'usage', promptTokens: 12, completionTokens: 7 },
      { type: 'done', finishReason: 'stop' },
    ]);
  });

  it('reports the reasoning and cached tokens of the usage details as parts of the totals', async () => {
    openaiServer.script({
      tokens: ['ok'],
      usage: {
        prompt_tokens: 40,
        completion_tokens: 9,
        completion_tokens_details: { reasoning_tokens: 6 },
        prompt_tokens_details: { cached_tokens: 32 },
      },
    });

    const { events } = await run(factory.forAgent('openai'), request());

    expect(events.filter((e) => e.type === 'usage')).toEqual([
      { type: 'usage', promptTokens: 40, completionTokens: 9, reasoningTokens: 6, cachedTokens: 32 },
    ]);
  });

  it.each(['reasoning_content', 'reasoning'] as const)(
    'surfaces reasoning sent as %s before the text',
    async (field) => {
      openaiServer.script({ reasoning: ['Let me think', ' about it.'], reasoningField: field, tokens: ['42'] });

      const { events } = await run(factory.forAgent('openai'), request());

      expect(events.slice(0, 3)).toEqual([
        { type: 'reasoning', text: 'Let me think' },
        { type: 'reasoning', text: ' about it.' },
        { type: 'text', text: '42' },
      ]);
    },
  );

  it('streams tool-call fragments that assemble into valid JSON arguments', async () => {
    const weather = { city: 'Zürich', unit: 'celsius', days: [1, 2] };
    const sum = { expression: '2 + 2 * "3"' };
    openaiServer.script({
      toolCalls: [
        { id: 'call_weather', name: 'get_weather', arguments: JSON.stringify(weather), argumentChunks: 5 },
        { id: 'call_calc', name: 'calculator', arguments: JSON.stringify(sum), argumentChunks: 4 },
      ],
    });

    const { events } = await run(factory.forAgent('openai'), request());

    const calls = new Map<number, { id?: string; name?: string; args: string; fragments: number }>();
    for (const event of events) {
      if (event.type !== 'tool_call') continue;
      const call = calls.get(event.index) ?? { args: '', fragments: 0 };
      calls.set(event.index, {
        id: call.id ?? event.id,
        name: call.name ?? event.name,
        args: call.args + event.argsDelta,
        fragments: call.fragments + 1,
      });
    }
    expect(calls.get(0)).toMatchObject({ id: 'call_weather', name: 'get_weather' });
    expect(calls.get(1)).toMatchObject({ id: 'call_calc', name: 'calculator' });
    expect(calls.get(0)!.fragments).toBeGreaterThan(2); // really streamed in pieces
    expect(JSON.parse(calls.get(0)!.args)).toEqual(weather);
    expect(JSON.parse(calls.get(1)!.args)).toEqual(sum);
    expect(events.at(-1)).toEqual({ type: 'done', finishReason: 'tool_calls' });
  });

  it('sends instructions as the system message, then the history, parameters and tools', async () => {
    const calculator = {
      name: 'calculator',
      description: 'Evaluates a math expression',
      parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    };

    await run(
      factory.forAgent('openai'),
      request({
        model: 'gpt-4o-mini',
        instructions: 'You are a terse assistant.',
        messages: [
          { role: 'user', content: 'What is 2+2?' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'call_1', name: 'calculator', arguments: '{"expression":"2+2"}' }],
          },
          { role: 'tool', toolCallId: 'call_1', content: '4' },
          { role: 'assistant', content: 'It is 4.' },
          { role: 'user', content: 'And 3+3?' },
        ],
        parameters: { temperature: 0.2, top_p: 0.9, max_tokens: 256, stop: ['END'], presence_penalty: 0.5, top_k: 40 },
        tools: [calculator],
      }),
    );

    const seen = lastRequest(openaiServer);
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(seen.body).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 256,
      stop: ['END'],
      presence_penalty: 0.5,
      tools: [{ type: 'function', function: calculator }],
    });
    expect(seen.body).not.toHaveProperty('top_k'); // not part of OpenAI's protocol
    expect(seen.body?.messages).toEqual([
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'What is 2+2?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'calculator', arguments: '{"expression":"2+2"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '4' },
      { role: 'assistant', content: 'It is 4.' },
      { role: 'user', content: 'And 3+3?' },
    ]);
  });

  it('calls a custom endpoint at its own baseURL with its own key', async () => {
    const openaiCount = openaiServer.requests.length;
    customServer.script({ tokens: ['from', ' llama'] });

    const provider = factory.forAgent('LOCAL-LLM'); // names resolve case-insensitively, like the registry
    const { events } = await run(provider, request({ model: 'llama3' }));

    expect(provider.name).toBe('local-llm');
    expect(texts(events)).toEqual(['from', ' llama']);
    const seen = lastRequest(customServer);
    expect(seen.headers.authorization).toBe(`Bearer ${CUSTOM_KEY}`);
    expect(seen.body?.model).toBe('llama3');
    expect(openaiServer.requests).toHaveLength(openaiCount);
  });

  it('sends no Authorization header to a keyless custom endpoint (never the OpenAI key)', async () => {
    customServer.script({ tokens: ['ok'] });

    const { events } = await run(factory.forAgent('keyless'), request());

    expect(texts(events)).toEqual(['ok']);
    expect(lastRequest(customServer).headers.authorization).toBeUndefined();
  });

  describe('errors before the stream starts', () => {
    it.each([
      { status: 400, retryable: false, retryAfter: undefined, retryAfterMs: undefined },
      { status: 401, retryable: false, retryAfter: undefined, retryAfterMs: undefined },
      { status: 429, retryable: true, retryAfter: '7', retryAfterMs: 7000 },
      { status: 500, retryable: true, retryAfter: undefined, retryAfterMs: undefined },
      { status: 503, retryable: true, retryAfter: '1', retryAfterMs: 1000 },
    ])('$status → kind http, retryable $retryable', async ({ status, retryable, retryAfter, retryAfterMs }) => {
      const before = openaiServer.requests.length;
      const message = `Scripted ${status}: the provider's own words`;
      openaiServer.script({ fail: { status, message, code: `code_${status}`, retryAfter } });

      const { events, error } = await run(factory.forAgent('openai'), request());

      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'http', status, retryable, retryAfterMs, code: `code_${status}` });
      expect(error?.message).toContain(message);
      expect(error?.message).toContain('openai');
      // SDK retries are off: the worker alone decides, so the stand-in saw exactly one request.
      expect(openaiServer.requests.length - before).toBe(1);
    });

    it('reports an unreachable endpoint as a retryable connection error', async () => {
      const gone = await startFakeOpenAI();
      await gone.close();
      const provider = new OpenAIChatProvider({ name: 'gone', baseURL: gone.baseURL }, { firstTokenTimeoutMs: 5000 });

      const { error } = await run(provider, request());

      expect(error).toMatchObject({ kind: 'connection', retryable: true });
    });
  });

  it('reports a connection dropped after K tokens as stream_dropped, after exactly K text events', async () => {
    openaiServer.script({ tokens: ['a', 'b', 'c', 'd', 'e', 'f'], dropAfterTokens: 3, tokenDelayMs: 5 });

    const { events, error } = await run(factory.forAgent('openai'), request());

    expect(texts(events)).toEqual(['a', 'b', 'c']);
    expect(events.some((e) => e.type === 'done')).toBe(false);
    expect(error).toMatchObject({ kind: 'stream_dropped', retryable: false });
  });

  it('reports a body that ends cleanly without a finish reason as stream_dropped', async () => {
    openaiServer.script({ tokens: ['cut', ' short'], truncate: true });

    const { events, error } = await run(factory.forAgent('openai'), request());

    expect(texts(events)).toEqual(['cut', ' short']);
    expect(error).toMatchObject({ kind: 'stream_dropped', retryable: false });
    expect(error?.message).toContain('without a finish reason');
  });

  it('reports an error frame in the middle of the stream as stream_dropped with the provider message', async () => {
    openaiServer.script({
      tokens: ['partial'],
      streamError: { message: 'The server had an error', code: 'overloaded' },
    });

    const { events, error } = await run(factory.forAgent('openai'), request());

    expect(texts(events)).toEqual(['partial']);
    expect(error).toMatchObject({ kind: 'stream_dropped', retryable: false, code: 'overloaded' });
    expect(error?.message).toContain('The server had an error');
  });

  describe('first-token timeout', () => {
    const timeoutMs = 300;
    const impatient = (): OpenAIChatProvider =>
      new OpenAIChatProvider(
        { name: 'openai', baseURL: openaiServer.baseURL, apiKey: OPENAI_KEY },
        { firstTokenTimeoutMs: timeoutMs },
      );

    it.each([
      ['sends nothing at all', { hang: true }],
      ['sends headers and the role chunk, then nothing', { hangAfterHeaders: true }],
    ])('fails with timeout when the provider %s, and closes the connection', async (_, script) => {
      openaiServer.script(script);

      const { events, error, elapsedMs } = await run(impatient(), request());

      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'timeout', retryable: false });
      expect(error?.message).toContain(`${timeoutMs} ms`);
      expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 20);
      expect(elapsedMs).toBeLessThan(timeoutMs + 1000);
      await within(1000, lastRequest(openaiServer).clientClosed, 'the stand-in seeing the connection closed');
    });

    it('fails a stream that stalls after its first tokens as stream_dropped, and closes the connection', async () => {
      openaiServer.script({ tokens: ['so', ' far'], hangAfterTokens: true });

      const { events, error, elapsedMs } = await run(impatient(), request());

      expect(texts(events)).toEqual(['so', ' far']);
      expect(error).toMatchObject({ kind: 'stream_dropped', retryable: false });
      expect(error?.message).toContain('stalled');
      expect(elapsedMs).toBeLessThan(timeoutMs + 1000);
      await within(1000, lastRequest(openaiServer).clientClosed, 'the stand-in seeing the connection closed');
    });

    it('does not fire once tokens flow, however long the answer takes', async () => {
      const tokens = Array.from({ length: 8 }, (_, i) => `t${i}`);
      openaiServer.script({ tokens, tokenDelayMs: 60 }); // ~480 ms in all, beyond the 300 ms timeout

      const { events, error } = await run(impatient(), request());

      expect(error).toBeUndefined();
      expect(texts(events)).toEqual(tokens);
    });
  });

  describe('abort', () => {
    it('ends quickly when the caller aborts mid-stream, and the stand-in sees the connection closed', async () => {
      openaiServer.script({ tokens: Array.from({ length: 100 }, (_, i) => `w${i} `), tokenDelayMs: 30 });
      const controller = new AbortController();
      let abortedAt = 0;

      const { events, error } = await run(factory.forAgent('openai'), request(), controller.signal, (_, seen) => {
        if (texts(seen).length === 3 && abortedAt === 0) {
          abortedAt = Date.now();
          controller.abort();
        }
      });

      expect(error).toMatchObject({ kind: 'aborted', retryable: false });
      expect(Date.now() - abortedAt).toBeLessThan(500);
      expect(texts(events).length).toBeLessThanOrEqual(4);
      const seen = lastRequest(openaiServer);
      await within(1000, seen.clientClosed, 'the stand-in seeing the connection closed');
      expect(seen.closedByClient).toBe(true);
      expect(seen.tokensSent).toBeLessThan(10);
    });

    it('aborts while waiting for the first token', async () => {
      openaiServer.script({ hang: true });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);

      const { error, elapsedMs } = await run(factory.forAgent('openai'), request(), controller.signal);

      expect(error).toMatchObject({ kind: 'aborted' });
      expect(elapsedMs).toBeLessThan(1000);
      await within(1000, lastRequest(openaiServer).clientClosed, 'the stand-in seeing the connection closed');
    });

    it('sends nothing when the signal is already aborted', async () => {
      const before = openaiServer.requests.length;
      const controller = new AbortController();
      controller.abort();

      const { error } = await run(factory.forAgent('openai'), request(), controller.signal);

      expect(error).toMatchObject({ kind: 'aborted' });
      expect(openaiServer.requests).toHaveLength(before);
    });

    it('closes the connection when the consumer stops iterating early', async () => {
      openaiServer.script({ tokens: Array.from({ length: 100 }, (_, i) => `w${i} `), tokenDelayMs: 30 });

      for await (const event of factory.forAgent('openai').stream(request(), new AbortController().signal)) {
        if (event.type === 'text') break;
      }

      await within(1000, lastRequest(openaiServer).clientClosed, 'the stand-in seeing the connection closed');
    });
  });
});

describe('the stand-in itself', () => {
  it('answers a non-streaming request with a chat.completion', async () => {
    openaiServer.script({ tokens: ['Hello', ' there'], usage: { prompt_tokens: 2, completion_tokens: 2 } });
    const client = new OpenAI({ apiKey: 'k', baseURL: openaiServer.baseURL, maxRetries: 0 });

    const answer = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] });

    expect(answer).toMatchObject({
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 },
    });
  });

  it('frames a stream as OpenAI does: role first, finish reason, usage with no choices, then [DONE]', async () => {
    openaiServer.script({ tokens: ['a', 'b'] });

    const response = await fetch(`${openaiServer.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [], stream: true, stream_options: { include_usage: true } }),
    });
    const frames = (await response.text()).split('\n\n').filter(Boolean);

    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames
      .slice(0, -1)
      .map((frame): ChatCompletionChunk => JSON.parse(frame.replace(/^data: /, '')) as ChatCompletionChunk);
    expect(chunks.map((c) => c.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'a' },
      { content: 'b' },
      {},
      null,
    ]);
    expect(chunks[3].choices[0].finish_reason).toBe('stop');
    expect(chunks[4]).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });
});
