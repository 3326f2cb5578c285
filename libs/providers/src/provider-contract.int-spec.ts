import {
  AnthropicChatProvider,
  type ChatProvider,
  type ChatRequest,
  GoogleChatProvider,
  OpenAIChatProvider,
  ProviderError,
  type ProviderEvent,
  type TokenUsage,
  classifyProviderError,
} from '@agents/providers';
import { type FakeAnthropic, startFakeAnthropic } from '@agents/testing/fake-anthropic';
import { type FakeGoogle, startFakeGoogle } from '@agents/testing/fake-google';
import { type FakeOpenAI, startFakeOpenAI } from '@agents/testing/fake-openai';

/**
 * The promises every provider adapter keeps, checked the same way against each one with its
 * vendor's stand-in: what differs between vendors is only how a case is scripted (each vendor's
 * wire shapes) and where the stand-in keeps what it received. Cases that exist for one vendor
 * only stay in its own *.provider.int-spec.ts.
 */

/** A neutral description of a tool call the scripted model makes. */
interface ToolCallScript {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

/** What a case needs from one vendor: its adapter, and its stand-in scripted in neutral terms. */
interface Subject {
  provider(firstTokenTimeoutMs?: number): ChatProvider;
  /** Scripts the next answer. */
  text(tokens: string[], options?: { tokenDelayMs?: number }): void;
  reasoning(thoughts: string[], tokens: string[]): void;
  toolCall(call: ToolCallScript): void;
  /** Scripts an answer with detailed usage; returns the usage event it must give. */
  detailedUsage(): TokenUsage;
  /** Answers 429 asking to wait 7 s, in the vendor's way. */
  rateLimited(): void;
  /** Answers the vendor's "overloaded / unavailable" status; returns that status. */
  overloaded(): number;
  /** Sends `tokens`, then fails mid-answer with `message`. */
  failAfter(tokens: string[], message: string): void;
  hang(): void;
  stallAfter(tokens: string[]): void;
  requestCount(): number;
  /** Settles when the client closed the connection of the last request before its answer ended. */
  lastClosed(): Promise<void>;
  /** The tool result the last request carried back to the model: the call's id and the result text. */
  lastToolResult(): { id: unknown; content: unknown } | undefined;
  close(): Promise<void>;
}

async function openAISubject(): Promise<Subject> {
  const server: FakeOpenAI = await startFakeOpenAI();
  const last = () => server.requests[server.requests.length - 1];
  return {
    provider: (firstTokenTimeoutMs = 5_000) =>
      new OpenAIChatProvider({ name: 'openai', baseURL: server.baseURL, apiKey: 'sk-test' }, { firstTokenTimeoutMs }),
    text: (tokens, options = {}) => server.script({ tokens, ...options }),
    reasoning: (reasoning, tokens) => server.script({ reasoning, tokens }),
    toolCall: ({ id, name, args }) =>
      server.script({ toolCalls: [{ id, name, arguments: JSON.stringify(args), argumentChunks: 4 }] }),
    detailedUsage: () => {
      server.script({
        tokens: ['ok'],
        usage: {
          prompt_tokens: 40,
          completion_tokens: 9,
          completion_tokens_details: { reasoning_tokens: 6 },
          prompt_tokens_details: { cached_tokens: 32 },
        },
      });
      return { promptTokens: 40, completionTokens: 9, reasoningTokens: 6, cachedTokens: 32 };
    },
    rateLimited: () => server.script({ fail: { status: 429, message: 'Rate limit reached', retryAfter: '7' } }),
    overloaded: () => {
      server.script({ fail: { status: 503, message: 'The engine is currently overloaded' } });
      return 503;
    },
    failAfter: (tokens, message) => server.script({ tokens, streamError: { message, code: 'server_error' } }),
    hang: () => server.script({ hang: true }),
    stallAfter: (tokens) => server.script({ tokens, hangAfterTokens: true }),
    requestCount: () => server.requests.length,
    lastClosed: () => last().clientClosed,
    lastToolResult: () => {
      const message = last().body?.messages?.find((m) => m.role === 'tool');
      return message && { id: message.tool_call_id, content: message.content };
    },
    close: () => server.close(),
  };
}

async function anthropicSubject(): Promise<Subject> {
  const server: FakeAnthropic = await startFakeAnthropic();
  const last = () => server.requests[server.requests.length - 1];
  return {
    provider: (firstTokenTimeoutMs = 5_000) =>
      new AnthropicChatProvider(
        { name: 'anthropic', baseURL: server.baseURL, apiKey: 'sk-ant-test' },
        { firstTokenTimeoutMs },
      ),
    text: (tokens, options = {}) => server.script({ tokens, ...options }),
    reasoning: (thinking, tokens) => server.script({ thinking, tokens }),
    toolCall: ({ id, name, args }) =>
      server.script({ toolCalls: [{ id, name, input: JSON.stringify(args), jsonChunks: 4 }] }),
    detailedUsage: () => {
      server.script({
        tokens: ['ok'],
        usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 3 },
      });
      // Anthropic counts no reasoning tokens apart: thinking is inside output_tokens.
      return { promptTokens: 115, completionTokens: 3, cachedTokens: 100, cacheWriteTokens: 5 };
    },
    rateLimited: () => server.script({ fail: { status: 429, message: 'Rate limit reached', retryAfter: '7' } }),
    overloaded: () => {
      server.script({ fail: { status: 529, message: 'Overloaded' } });
      return 529;
    },
    failAfter: (tokens, message) => server.script({ tokens, streamError: { type: 'api_error', message } }),
    hang: () => server.script({ hang: true }),
    stallAfter: (tokens) => server.script({ tokens, hangAfterTokens: true }),
    requestCount: () => server.requests.length,
    lastClosed: () => last().clientClosed,
    lastToolResult: () => {
      for (const message of last().body?.messages ?? []) {
        const blocks = Array.isArray(message.content) ? (message.content as Array<Record<string, unknown>>) : [];
        const result = blocks.find((block) => block.type === 'tool_result');
        if (result) return { id: result.tool_use_id, content: result.content };
      }
      return undefined;
    },
    close: () => server.close(),
  };
}

async function googleSubject(): Promise<Subject> {
  const server: FakeGoogle = await startFakeGoogle();
  const last = () => server.requests[server.requests.length - 1];
  return {
    provider: (firstTokenTimeoutMs = 5_000) =>
      new GoogleChatProvider({ name: 'google', baseURL: server.baseURL, apiKey: 'AIza-test' }, { firstTokenTimeoutMs }),
    text: (tokens, options = {}) => server.script({ tokens, ...options }),
    reasoning: (thoughts, tokens) => server.script({ thoughts, tokens }),
    // Gemini sends each call whole: one fragment.
    toolCall: ({ id, name, args }) => server.script({ functionCalls: [{ id, name, args }] }),
    detailedUsage: () => {
      server.script({
        tokens: ['ok'],
        usage: { promptTokenCount: 40, candidatesTokenCount: 3, thoughtsTokenCount: 6, cachedContentTokenCount: 32 },
      });
      return { promptTokens: 40, completionTokens: 9, reasoningTokens: 6, cachedTokens: 32 };
    },
    rateLimited: () => server.script({ fail: { status: 429, message: 'Resource exhausted', retryDelay: '7s' } }),
    overloaded: () => {
      server.script({ fail: { status: 503, message: 'The model is overloaded' } });
      return 503;
    },
    failAfter: (tokens, message) => server.script({ tokens, streamError: { status: 500, message } }),
    hang: () => server.script({ hang: true }),
    stallAfter: (tokens) => server.script({ tokens, hangAfterTokens: true }),
    requestCount: () => server.requests.length,
    lastClosed: () => last().clientClosed,
    lastToolResult: () => {
      for (const content of last().body?.contents ?? []) {
        const part = content.parts?.find((p) => p.functionResponse);
        const response = part?.functionResponse as { id?: unknown; response?: { output?: unknown } } | undefined;
        if (response) return { id: response.id, content: response.response?.output };
      }
      return undefined;
    },
    close: () => server.close(),
  };
}

interface Outcome {
  events: ProviderEvent[];
  error?: ProviderError;
  elapsedMs: number;
}

/** Drains a stream, keeping what arrived before a failure; `onEvent` may abort along the way. */
async function run(
  provider: ChatProvider,
  request: ChatRequest,
  signal: AbortSignal = new AbortController().signal,
  onEvent: (events: ProviderEvent[]) => void = () => undefined,
): Promise<Outcome> {
  const events: ProviderEvent[] = [];
  const startedAt = Date.now();
  try {
    for await (const event of provider.stream(request, signal)) {
      events.push(event);
      onEvent(events);
    }
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { events, error, elapsedMs: Date.now() - startedAt };
  }
  return { events, elapsedMs: Date.now() - startedAt };
}

const request = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'contract-model',
  messages: [{ role: 'user', content: 'Hi' }],
  ...overrides,
});
const texts = (events: ProviderEvent[]): string[] => events.flatMap((e) => (e.type === 'text' ? [e.text] : []));

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

describe.each([
  ['openai', openAISubject],
  ['anthropic', anthropicSubject],
  ['google', googleSubject],
])('the %s adapter keeps the provider contract', (name, start) => {
  let subject: Subject;
  beforeAll(async () => {
    subject = await start();
  });
  afterAll(async () => {
    await subject?.close();
  });

  it('streams text in order, then one usage, then done', async () => {
    const tokens = ['The', ' quick', ' brown', ' 🦊', '.'];
    subject.text(tokens, { tokenDelayMs: 5 });

    const { events, error } = await run(subject.provider(), request());

    expect(error).toBeUndefined();
    expect(texts(events)).toEqual(tokens);
    expect(events.slice(0, tokens.length).every((e) => e.type === 'text')).toBe(true);
    expect(events.slice(tokens.length).map((e) => e.type)).toEqual(['usage', 'done']);
    expect(events.at(-1)).toEqual({ type: 'done', finishReason: 'stop' });
  });

  it('streams reasoning deltas before the text', async () => {
    subject.reasoning(['Let me think', ' hard.'], ['42']);

    const { events } = await run(subject.provider(), request());

    expect(events.slice(0, 3)).toEqual([
      { type: 'reasoning', text: 'Let me think' },
      { type: 'reasoning', text: ' hard.' },
      { type: 'text', text: '42' },
    ]);
  });

  it('streams a tool call whose fragments assemble into its arguments, and sends the result back next time', async () => {
    const args = { city: 'Zürich', note: 'a "quoted" word', days: [1, 2] };
    const call = { id: 'call_contract', name: 'get_weather', args };
    const tools = [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} } }];
    subject.toolCall(call);

    const first = await run(subject.provider(), request({ tools }));

    const fragments = first.events.filter((e) => e.type === 'tool_call');
    expect(fragments.length).toBeGreaterThan(0);
    expect(new Set(fragments.map((f) => f.index)).size).toBe(1);
    expect(fragments[0]).toMatchObject({ id: call.id, name: call.name });
    if (name !== 'google') expect(fragments.length).toBeGreaterThan(2); // really streamed in pieces
    expect(JSON.parse(fragments.map((f) => f.argsDelta).join(''))).toEqual(call.args);
    expect(first.events.at(-1)).toEqual({ type: 'done', finishReason: 'tool_calls' });

    subject.text(['Sunny.']);
    const second = await run(
      subject.provider(),
      request({
        tools,
        messages: [
          { role: 'user', content: 'Weather in Zürich?' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: call.id, name: call.name, arguments: fragments.map((f) => f.argsDelta).join('') }],
          },
          { role: 'tool', toolCallId: call.id, content: '20 °C and sunny' },
        ],
      }),
    );

    expect(texts(second.events)).toEqual(['Sunny.']);
    expect(subject.lastToolResult()).toEqual({ id: call.id, content: '20 °C and sunny' });
  });

  it('reports usage with the detailed counts the vendor gives', async () => {
    const expected = subject.detailedUsage();

    const { events } = await run(subject.provider(), request());

    expect(events.filter((e) => e.type === 'usage')).toEqual([{ type: 'usage', ...expected }]);
  });

  it('classifies a 429 before the first token as a retryable rate limit, with the wait it asks for', async () => {
    const before = subject.requestCount();
    subject.rateLimited();

    const { events, error } = await run(subject.provider(), request());

    expect(events).toEqual([]);
    expect(error).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfterMs: 7_000 });
    expect(classifyProviderError(error, name).kind).toBe('rate_limit');
    // The SDK's own retries are off: the worker alone decides.
    expect(subject.requestCount() - before).toBe(1);
  });

  it('classifies an unavailable or overloaded provider as retryable before the first token', async () => {
    const status = subject.overloaded();

    const { events, error } = await run(subject.provider(), request());

    expect(events).toEqual([]);
    expect(error).toMatchObject({ kind: 'http', status, retryable: true });
    expect(classifyProviderError(error, name)).toMatchObject({ kind: 'unavailable', httpStatus: status });
  });

  it('fails an error in the middle of the answer after the text it sent, not retryable', async () => {
    subject.failAfter(['partial'], 'The server had an error');

    const { events, error } = await run(subject.provider(), request());

    expect(texts(events)).toEqual(['partial']);
    expect(events.some((e) => e.type === 'done')).toBe(false);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain('The server had an error');
    expect(classifyProviderError(error, name).kind).toBe('unavailable');
  });

  describe('abort', () => {
    it('ends quickly when the caller aborts mid-stream, and closes the connection', async () => {
      subject.text(
        Array.from({ length: 100 }, (_, i) => `w${i} `),
        { tokenDelayMs: 30 },
      );
      const controller = new AbortController();
      let abortedAt = 0;

      const { events, error } = await run(subject.provider(), request(), controller.signal, (seen) => {
        if (texts(seen).length === 2 && abortedAt === 0) {
          abortedAt = Date.now();
          controller.abort();
        }
      });

      expect(error).toMatchObject({ kind: 'aborted', retryable: false });
      expect(Date.now() - abortedAt).toBeLessThan(500);
      expect(texts(events).length).toBeLessThanOrEqual(3);
      await within(1_000, subject.lastClosed(), 'the stand-in seeing the connection closed');
    });

    it('aborts while waiting for the first token', async () => {
      subject.hang();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);

      const { error, elapsedMs } = await run(subject.provider(), request(), controller.signal);

      expect(error).toMatchObject({ kind: 'aborted' });
      expect(elapsedMs).toBeLessThan(1_000);
      await within(1_000, subject.lastClosed(), 'the stand-in seeing the connection closed');
    });

    it('sends nothing when the signal is already aborted', async () => {
      const before = subject.requestCount();
      const controller = new AbortController();
      controller.abort();

      const { error } = await run(subject.provider(), request(), controller.signal);

      expect(error).toMatchObject({ kind: 'aborted' });
      expect(subject.requestCount()).toBe(before);
    });

    it('closes the connection when the consumer stops iterating early', async () => {
      subject.text(
        Array.from({ length: 100 }, (_, i) => `w${i} `),
        { tokenDelayMs: 30 },
      );

      for await (const event of subject.provider().stream(request(), new AbortController().signal)) {
        if (event.type === 'text') break;
      }

      await within(1_000, subject.lastClosed(), 'the stand-in seeing the connection closed');
    });
  });

  describe('first-token timeout and stall', () => {
    const timeoutMs = 300;

    it('fails with a timeout, not retryable, when nothing comes, and closes the connection', async () => {
      subject.hang();

      const { events, error, elapsedMs } = await run(subject.provider(timeoutMs), request());

      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'timeout', retryable: false });
      expect(error?.message).toContain(`${timeoutMs} ms`);
      expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 20);
      expect(elapsedMs).toBeLessThan(timeoutMs + 1_000);
      expect(classifyProviderError(error, name).kind).toBe('timeout');
      await within(1_000, subject.lastClosed(), 'the stand-in seeing the connection closed');
    });

    it('fails a stream that stalls after its first tokens as stream_dropped, and closes the connection', async () => {
      subject.stallAfter(['so', ' far']);

      const { events, error, elapsedMs } = await run(subject.provider(timeoutMs), request());

      expect(texts(events)).toEqual(['so', ' far']);
      expect(error).toMatchObject({ kind: 'stream_dropped', retryable: false });
      expect(error?.message).toContain('stalled');
      expect(elapsedMs).toBeLessThan(timeoutMs + 1_000);
      await within(1_000, subject.lastClosed(), 'the stand-in seeing the connection closed');
    });

    it('does not fire once tokens flow, however long the answer takes', async () => {
      const tokens = Array.from({ length: 8 }, (_, i) => `t${i}`);
      subject.text(tokens, { tokenDelayMs: 60 }); // ~480 ms in all, beyond the 300 ms timeout

      const { events, error } = await run(subject.provider(timeoutMs), request());

      expect(error).toBeUndefined();
      expect(texts(events)).toEqual(tokens);
    });
  });
});
