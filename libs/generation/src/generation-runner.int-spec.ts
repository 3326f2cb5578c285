import { randomUUID } from 'node:crypto';
import { OpenAIChatProvider, type ChatRequest } from '@agents/providers';
import { InMemoryEventBus, type StreamEvent } from '@agents/streaming';
import { startFakeOpenAI, type FakeOpenAI } from '@agents/testing/fake-openai';
import { GenerationRunner } from './generation-runner';

/** The runner against a real HTTP server speaking OpenAI's protocol, through the official SDK. */
describe('GenerationRunner', () => {
  let fake: FakeOpenAI;
  let provider: OpenAIChatProvider;
  let bus: InMemoryEventBus;
  let runner: GenerationRunner;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    provider = new OpenAIChatProvider(
      { name: 'openai', baseURL: fake.baseURL, apiKey: 'sk-test' },
      { firstTokenTimeoutMs: 2_000 },
    );
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    bus = new InMemoryEventBus();
    runner = new GenerationRunner(bus, { retries: 2, baseDelayMs: 20, maxDelayMs: 200 });
  });
  afterEach(() => bus.close());

  const request: ChatRequest = {
    model: 'gpt-4o',
    instructions: 'Be brief.',
    messages: [{ role: 'user', content: 'Hi' }],
  };

  async function start(): Promise<{ streamId: string; events: StreamEvent[] }> {
    const streamId = randomUUID();
    await bus.create(streamId);
    const events: StreamEvent[] = [];
    await bus.subscribe(streamId, '0', (e) => events.push(e));
    return { streamId, events };
  }

  const deltas = (events: StreamEvent[], kind: string) =>
    events
      .map((e) => e.payload as { event?: string; data?: { delta?: { content?: { text?: string; think?: string }[] } } })
      .filter((p) => p.event === kind)
      .map((p) => p.data?.delta?.content?.[0]?.text ?? p.data?.delta?.content?.[0]?.think ?? '');

  it('publishes a run step, then every token in order, and returns the assembled answer', async () => {
    fake.script({ tokens: ['The', ' answer', ' is', ' 42.'], usage: { prompt_tokens: 7, completion_tokens: 4 } });
    const { streamId, events } = await start();
    const responseMessageId = randomUUID();
    const outcome = await runner.run({ streamId, responseMessageId, request }, provider, new AbortController().signal);

    expect(outcome).toMatchObject({
      status: 'completed',
      text: 'The answer is 42.',
      finishReason: 'stop',
      usage: { promptTokens: 7, completionTokens: 4 },
      content: [{ type: 'text', text: 'The answer is 42.' }],
    });
    expect(events[0].payload).toMatchObject({
      event: 'on_run_step',
      data: { type: 'message_creation', stepDetails: { message_creation: { message_id: responseMessageId } } },
    });
    expect(deltas(events, 'on_message_delta')).toEqual(['The', ' answer', ' is', ' 42.']);
    expect(events.some((e) => e.terminal)).toBe(false); // the caller announces the end, after storing
    const sent = fake.requests[fake.requests.length - 1].body!;
    expect(sent.messages?.[0]).toMatchObject({ role: 'system', content: 'Be brief.' });
  });

  it('streams reasoning as on_reasoning_delta and keeps it apart from the text', async () => {
    fake.script({ reasoning: ['Think', 'ing'], tokens: ['Done'] });
    const { streamId, events } = await start();
    const outcome = await runner.run(
      { streamId, responseMessageId: randomUUID(), request },
      provider,
      new AbortController().signal,
    );
    expect(deltas(events, 'on_reasoning_delta')).toEqual(['Think', 'ing']);
    expect(outcome.content).toEqual([
      { type: 'think', think: 'Thinking' },
      { type: 'text', text: 'Done' },
    ]);
  });

  it('retries a 503 before the first token, honouring Retry-After, and streams the answer once', async () => {
    const before = fake.requests.length;
    fake.script({ fail: { status: 503, message: 'overloaded', retryAfter: '0' } }, { tokens: ['ok'] });
    const { streamId, events } = await start();
    const outcome = await runner.run(
      { streamId, responseMessageId: randomUUID(), request },
      provider,
      new AbortController().signal,
    );
    expect(outcome.status).toBe('completed');
    expect(fake.requests.length - before).toBe(2);
    expect(deltas(events, 'on_message_delta')).toEqual(['ok']);
  });

  it('does not retry a 400 and reports it in words of its own', async () => {
    const before = fake.requests.length;
    fake.script({ fail: { status: 400, message: 'model does not exist' } });
    const { streamId } = await start();
    const outcome = await runner.run(
      { streamId, responseMessageId: randomUUID(), request },
      provider,
      new AbortController().signal,
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/openai provider refused the request \(HTTP 400\)/);
    expect(outcome.error).not.toMatch(/model does not exist/); // the provider's words go to the log only
    expect(outcome.failure).toEqual({ kind: 'bad_request', httpStatus: 400 });
    expect(fake.requests.length - before).toBe(1);
  });

  it('never re-runs after the first token: a dropped stream fails and keeps the partial answer', async () => {
    const before = fake.requests.length;
    fake.script({ tokens: ['one', ' two', ' three', ' four'], dropAfterTokens: 2 });
    const { streamId, events } = await start();
    const outcome = await runner.run(
      { streamId, responseMessageId: randomUUID(), request },
      provider,
      new AbortController().signal,
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.text).toBe('one two');
    expect(deltas(events, 'on_message_delta')).toEqual(['one', ' two']);
    expect(fake.requests.length - before).toBe(1);
  });

  it('stops on abort with the partial answer, and the provider sees its connection closed', async () => {
    fake.script({ tokens: Array.from({ length: 50 }, (_, i) => `t${i} `), tokenDelayMs: 30 });
    const { streamId, events } = await start();
    const controller = new AbortController();
    const running = runner.run({ streamId, responseMessageId: randomUUID(), request }, provider, controller.signal);
    while (deltas(events, 'on_message_delta').length < 3) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const outcome = await running;
    expect(outcome.status).toBe('aborted');
    expect(outcome.text.startsWith('t0 t1 t2 ')).toBe(true);
    expect(outcome.text.split(' ').filter(Boolean).length).toBeLessThan(50);
    const record = fake.requests[fake.requests.length - 1];
    const deadline = Date.now() + 2_000;
    while (!record.closedByClient && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(record.closedByClient).toBe(true);
  });
});
