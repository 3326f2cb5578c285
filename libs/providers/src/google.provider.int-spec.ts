import { GoogleChatProvider, type ChatRequest, ProviderError, type ProviderEvent } from '@agents/providers';
import { type FakeGoogle, startFakeGoogle } from '@agents/testing/fake-google';

const KEY = 'AIza-google-test-key';
let server: FakeGoogle;
let provider: GoogleChatProvider;

beforeAll(async () => {
  server = await startFakeGoogle();
  provider = new GoogleChatProvider(
    { name: 'google', apiKey: KEY, baseURL: server.baseURL },
    { firstTokenTimeoutMs: 1_000 },
  );
});
afterAll(() => server?.close());

const request = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gemini-test',
  messages: [{ role: 'user', content: 'Hi' }],
  ...overrides,
});

async function run(
  chatRequest: ChatRequest,
  signal: AbortSignal = new AbortController().signal,
  onEvent: (event: ProviderEvent) => void = () => undefined,
): Promise<{ events: ProviderEvent[]; error?: ProviderError }> {
  const events: ProviderEvent[] = [];
  try {
    for await (const event of provider.stream(chatRequest, signal)) {
      events.push(event);
      onEvent(event);
    }
    return { events };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { events, error };
  }
}

it('streams text, then usage and stop, over the path and key header the SDK uses', async () => {
  server.script({
    tokens: ['Hel', 'lo'],
    usage: { promptTokenCount: 7, candidatesTokenCount: 2, thoughtsTokenCount: 3, cachedContentTokenCount: 4 },
  });
  const { events, error } = await run(
    request({ instructions: 'Be brief', parameters: { temperature: 0.2, max_tokens: 50 } }),
  );
  expect(error).toBeUndefined();
  expect(events).toEqual([
    { type: 'text', text: 'Hel' },
    { type: 'text', text: 'lo' },
    // Thoughts are counted apart by Gemini: part of the completion, and reported on their own.
    { type: 'usage', promptTokens: 7, completionTokens: 5, reasoningTokens: 3, cachedTokens: 4 },
    { type: 'done', finishReason: 'stop' },
  ]);
  const sent = server.requests.at(-1)!;
  expect(sent.path).toBe('/v1beta/models/gemini-test:streamGenerateContent');
  expect(sent.headers['x-goog-api-key']).toBe(KEY);
  expect(sent.query.get('key')).toBeNull();
  expect(sent.body?.systemInstruction?.parts).toEqual([{ text: 'Be brief' }]);
  expect(sent.body?.generationConfig).toMatchObject({ temperature: 0.2, maxOutputTokens: 50 });
});

it('sends the thinking budget, asking for the thoughts', async () => {
  server.script({ thoughts: ['Let me think'], tokens: ['42'] });
  await run(request({ parameters: { thinking_budget: 512 } }));
  expect(server.requests.at(-1)!.body?.generationConfig).toMatchObject({
    thinkingConfig: { thinkingBudget: 512, includeThoughts: true },
  });
});

it('yields a function call whole, and replays it with its functionResponse', async () => {
  server.script({ functionCalls: [{ id: 'fc-1', name: 'get_weather', args: { city: 'Paris' } }] });
  const tools = [
    {
      name: 'get_weather',
      description: 'Weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  ];
  const first = await run(request({ tools }));
  expect(first.events).toEqual([
    { type: 'tool_call', index: 0, id: 'fc-1', name: 'get_weather', argsDelta: '{"city":"Paris"}' },
    expect.objectContaining({ type: 'usage' }),
    { type: 'done', finishReason: 'tool_calls' },
  ]);
  expect(server.requests.at(-1)!.body?.tools).toEqual([
    {
      functionDeclarations: [
        { name: 'get_weather', description: 'Weather', parametersJsonSchema: tools[0].parameters },
      ],
    },
  ]);

  server.script({ tokens: ['Sunny'] });
  const second = await run(
    request({
      tools,
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'fc-1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        },
        { role: 'tool', toolCallId: 'fc-1', content: '20°C' },
      ],
    }),
  );
  expect(second.events.at(-1)).toEqual({ type: 'done', finishReason: 'stop' });
  const contents = server.requests.at(-1)!.body?.contents;
  expect(contents?.map((c) => c.role)).toEqual(['user', 'model', 'user']);
  expect(contents?.[1]?.parts?.[0]).toMatchObject({
    functionCall: { id: 'fc-1', name: 'get_weather', args: { city: 'Paris' } },
  });
  expect(contents?.[2]?.parts).toEqual([
    { functionResponse: { id: 'fc-1', name: 'get_weather', response: { output: '20°C' } } },
  ]);
});

it.each([400, 401])('maps %i to a non-retryable http error without the key', async (status) => {
  server.script({ fail: { status, message: `API key not valid: ${KEY}` } });
  const { error } = await run(request());
  expect(error).toMatchObject({ kind: 'http', status, retryable: false });
  expect(error!.message).not.toContain(KEY);
  expect(error!.message).toContain('API key not valid');
});

it('fails a stream that ends without a finish reason as stream_dropped', async () => {
  server.script({ tokens: ['partial'], truncate: true });
  const { events, error } = await run(request());
  expect(events).toEqual([{ type: 'text', text: 'partial' }]);
  expect(error?.kind).toBe('stream_dropped');
});

it('fails a socket cut mid-answer as stream_dropped', async () => {
  server.script({ tokens: ['a', 'b', 'c'], dropAfterTokens: 1 });
  const { error } = await run(request());
  expect(error?.kind).toBe('stream_dropped');
});

// Text, reasoning, tool calls, usage, 429 and 503, mid-stream errors, abort, the first-token timeout
// and stalls are the same for every adapter: provider-contract.int-spec.ts.
