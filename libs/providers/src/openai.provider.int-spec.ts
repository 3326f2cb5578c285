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
      { status: 500, retryable: true, retryAfter: undefined, retryAfterMs: undefined },
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

  describe('first-token timeout', () => {
    const timeoutMs = 300;
    const impatient = (): OpenAIChatProvider =>
      new OpenAIChatProvider(
        { name: 'openai', baseURL: openaiServer.baseURL, apiKey: OPENAI_KEY },
        { firstTokenTimeoutMs: timeoutMs },
      );

    it('fails with timeout when the provider sends headers and the role chunk, then nothing, and closes the connection', async () => {
      openaiServer.script({ hangAfterHeaders: true });

      const { events, error, elapsedMs } = await run(impatient(), request());

      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'timeout', retryable: false });
      expect(error?.message).toContain(`${timeoutMs} ms`);
      expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 20);
      expect(elapsedMs).toBeLessThan(timeoutMs + 1000);
      await within(1000, lastRequest(openaiServer).clientClosed, 'the stand-in seeing the connection closed');
    });
  });
  // Text, reasoning, tool calls, usage, 429 and 5xx, mid-stream errors, abort, the first-token
  // timeout and stalls are the same for every adapter: provider-contract.int-spec.ts.
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
