import { AnthropicChatProvider, type ChatRequest, ProviderError, type ProviderEvent } from '@agents/providers';
import { type FakeAnthropic, startFakeAnthropic } from '@agents/testing/fake-anthropic';

const API_KEY = 'sk-ant-test-key-0123456789';

let server: FakeAnthropic;
let provider: AnthropicChatProvider;

beforeAll(async () => {
  server = await startFakeAnthropic();
  provider = new AnthropicChatProvider(
    { name: 'anthropic', baseURL: server.baseURL, apiKey: API_KEY },
    { firstTokenTimeoutMs: 5000 },
  );
});

afterAll(async () => {
  await server?.close();
});

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'claude-test', messages: [{ role: 'user', content: 'Hi' }], ...overrides };
}

interface Outcome {
  events: ProviderEvent[];
  error?: ProviderError;
  elapsedMs: number;
}

/** Drains a stream, keeping what arrived before a failure; `onEvent` may abort along the way. */
async function run(
  chatProvider: AnthropicChatProvider,
  chatRequest: ChatRequest,
  signal: AbortSignal = new AbortController().signal,
  onEvent: (events: ProviderEvent[]) => void = () => undefined,
): Promise<Outcome> {
  const events: ProviderEvent[] = [];
  const startedAt = Date.now();
  try {
    for await (const event of chatProvider.stream(chatRequest, signal)) {
      events.push(event);
      onEvent(events);
    }
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { events, error, elapsedMs: Date.now() - startedAt };
  }
  return { events, elapsedMs: Date.now() - startedAt };
}

const lastRequest = () => server.requests[server.requests.length - 1];

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

describe('AnthropicChatProvider against the stand-in', () => {
  it('ignores the pings between events', async () => {
    const tokens = ['The', ' quick', ' brown', ' 🦊', '.'];
    server.script({ tokens, tokenDelayMs: 5, pings: true, usage: { input_tokens: 12, output_tokens: 5 } });

    const { events, error } = await run(provider, request());

    expect(error).toBeUndefined();
    expect(events).toEqual([
      ...tokens.map((text) => ({ type: 'text', text })),
      // Anthropic always reports its cache counts, 0 when nothing was cached.
      { type: 'usage', promptTokens: 12, completionTokens: 5, cachedTokens: 0, cacheWriteTokens: 0 },
      { type: 'done', finishReason: 'stop' },
    ]);
  });

  it('sends the key, the API version and the mapped body to POST /v1/messages', async () => {
    await run(
      provider,
      request({
        instructions: 'Be terse.',
        parameters: { max_tokens: 300, temperature: 0.3, top_k: 20, stop: ['END'] },
        tools: [{ name: 'calc', description: 'Math', parameters: { type: 'object', properties: {} } }],
      }),
    );

    const seen = lastRequest();
    expect(seen.path).toBe('/v1/messages');
    // SDK 1.x sends an API key as a Bearer token, not as x-api-key.
    expect(seen.headers.authorization ?? seen.headers['x-api-key']).toContain(API_KEY);
    expect(seen.headers['anthropic-version']).toEqual(expect.any(String));
    expect(seen.body).toMatchObject({
      model: 'claude-test',
      stream: true,
      system: 'Be terse.',
      max_tokens: 300,
      temperature: 0.3,
      top_k: 20,
      stop_sequences: ['END'],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      tools: [{ name: 'calc', description: 'Math', input_schema: { type: 'object', properties: {} } }],
    });
  });

  it('sends no credential to a keyless endpoint', async () => {
    const keyless = new AnthropicChatProvider(
      { name: 'proxy', baseURL: server.baseURL },
      { firstTokenTimeoutMs: 5000 },
    );

    const { error } = await run(keyless, request());

    expect(error).toBeUndefined();
    expect(lastRequest().headers.authorization).toBeUndefined();
    expect(lastRequest().headers['x-api-key']).toBeUndefined();
  });

  it('sends the thinking budget as extended thinking', async () => {
    server.script({ thinking: ['Let me think'], tokens: ['42'] });

    await run(provider, request({ parameters: { thinking_budget: 2048 } }));

    expect(lastRequest().body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 } });
  });

  it.each([
    ['max_tokens', 'length'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'other'],
  ])('maps stop_reason %s to %s', async (stopReason, finishReason) => {
    server.script({ tokens: ['x'], stopReason });

    const { events } = await run(provider, request());

    expect(events.at(-1)).toEqual({ type: 'done', finishReason });
  });

  describe('errors before the stream starts', () => {
    it.each([
      { status: 400, retryable: false, retryAfter: undefined, retryAfterMs: undefined, code: 'invalid_request_error' },
      { status: 401, retryable: false, retryAfter: undefined, retryAfterMs: undefined, code: 'authentication_error' },
      { status: 500, retryable: true, retryAfter: undefined, retryAfterMs: undefined, code: 'api_error' },
    ])('$status → http, retryable $retryable', async ({ status, retryable, retryAfter, retryAfterMs, code }) => {
      const before = server.requests.length;
      server.script({ fail: { status, retryAfter, message: `Scripted ${status}` } });

      const { events, error } = await run(provider, request());

      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'http', status, retryable, retryAfterMs, code });
      expect(error?.message).toContain(`Scripted ${status}`);
      expect(error?.message).not.toContain(API_KEY);
      // SDK retries are off (even with x-should-retry: true): the worker alone decides.
      expect(server.requests.length - before).toBe(1);
    });

    it('reports an unreachable endpoint as a retryable connection error', async () => {
      const gone = await startFakeAnthropic();
      await gone.close();
      const unreachable = new AnthropicChatProvider(
        { name: 'gone', baseURL: gone.baseURL, apiKey: API_KEY },
        { firstTokenTimeoutMs: 5000 },
      );

      const { error } = await run(unreachable, request());

      expect(error).toMatchObject({ kind: 'connection', retryable: true });
      expect(error?.message).not.toContain(API_KEY);
    });
  });

  describe('error events in the stream', () => {
    it('lets an overloaded_error before any event be retried', async () => {
      server.script({ tokens: [], streamError: { type: 'overloaded_error', message: 'Overloaded' } });

      const { events, error } = await run(provider, request());

      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'stream_dropped', retryable: true, code: 'overloaded_error' });
    });

    it('does not retry another error type before any event', async () => {
      server.script({ tokens: [], streamError: { type: 'api_error', message: 'Internal' } });

      const { error } = await run(provider, request());

      expect(error).toMatchObject({ kind: 'stream_dropped', retryable: false, code: 'api_error' });
    });
  });

  describe('first-token timeout', () => {
    const timeoutMs = 300;
    const impatient = (): AnthropicChatProvider =>
      new AnthropicChatProvider(
        { name: 'anthropic', baseURL: server.baseURL, apiKey: API_KEY },
        { firstTokenTimeoutMs: timeoutMs },
      );

    it('fails with timeout when the provider sends message_start, then nothing, and closes the connection', async () => {
      server.script({ hangAfterHeaders: true });

      const { events, error, elapsedMs } = await run(impatient(), request());

      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'timeout', retryable: false });
      expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 20);
      expect(elapsedMs).toBeLessThan(timeoutMs + 1000);
      await within(1000, lastRequest().clientClosed, 'the stand-in seeing the connection closed');
    });
  });
  // Text, reasoning, tool calls, usage, 429 and 529, mid-stream errors, abort, the first-token
  // timeout and stalls are the same for every adapter: provider-contract.int-spec.ts.
});
