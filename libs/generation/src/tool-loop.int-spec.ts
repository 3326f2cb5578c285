import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContentFold, readStreamEvent, resumeSnapshot } from '@agents/chat';
import { OpenAIChatProvider, type ChatRequest } from '@agents/providers';
import { InMemoryEventBus, type StreamEvent } from '@agents/streaming';
import { ToolError, type ServerTool, type ToolCallContext, type ToolResult } from '@agents/tools';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequestBody } from '@agents/testing/fake-openai';
import { GenerationRunner, type GenerationInput, type RunLimits } from './generation-runner';

/**
 * The run loop against a real HTTP server speaking OpenAI's protocol (tool calls streamed as the
 * API streams them), with small in-process tools whose behaviour each case needs: one that
 * answers, throws, hangs, ignores its signal or reports attachments.
 */
describe('GenerationRunner, the tool loop', () => {
  let fake: FakeOpenAI;
  let provider: OpenAIChatProvider;
  let bus: InMemoryEventBus;
  let runner: GenerationRunner;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    provider = new OpenAIChatProvider(
      { name: 'openai', baseURL: fake.baseURL, apiKey: 'sk-test' },
      { firstTokenTimeoutMs: 5_000 },
    );
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    bus = new InMemoryEventBus();
    runner = new GenerationRunner(bus, { retries: 1, baseDelayMs: 10, maxDelayMs: 50 });
  });
  afterEach(() => bus.close());

  const request: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: 'What is 12.5% of 1,840?' }] };

  /** A tool doing `run`, recording the arguments and signals of its calls. */
  function tool(id: string, run: (args: Record<string, unknown>, ctx: ToolCallContext) => Promise<ToolResult>) {
    const calls: { args: Record<string, unknown>; ctx: ToolCallContext }[] = [];
    const serverTool: ServerTool = {
      id,
      name: id,
      description: `the ${id} tool`,
      parameters: { type: 'object', properties: { input: { type: 'string' } } },
      source: 'builtin',
      call: (args, ctx) => {
        calls.push({ args, ctx });
        return run(args, ctx);
      },
    };
    return { tool: serverTool, calls };
  }

  const calc = () => tool('calc', (args) => Promise.resolve({ output: String(eval(String(args.input))) }));

  async function run(
    tools: ServerTool[],
    limits: Partial<RunLimits> = {},
    signal = new AbortController().signal,
    extra: Partial<GenerationInput> = {},
  ) {
    const streamId = randomUUID();
    await bus.create(streamId);
    const events: StreamEvent[] = [];
    await bus.subscribe(streamId, '0', (e) => events.push(e));
    const responseMessageId = randomUUID();
    const outcome = await runner.run(
      {
        streamId,
        responseMessageId,
        request,
        tools,
        scope: { userId: 'u1', agentId: 'a1', conversationId: 'c1' },
        limits,
        ...extra,
      },
      provider,
      signal,
    );
    return { outcome, events, streamId, responseMessageId };
  }

  const kinds = (events: StreamEvent[]) => events.map((e) => readStreamEvent(e.payload)?.kind);
  const lastBody = (): FakeRequestBody => fake.requests[fake.requests.length - 1].body!;

  it('sends the tools, runs the call the model makes, sends the result back and streams the answer', async () => {
    const { tool: calculator, calls } = calc();
    fake.script(
      { toolCalls: [{ id: 'call_1', name: 'calc', arguments: '{"input":"0.125*1840"}', argumentChunks: 4 }] },
      (body) => {
        const result = body.messages?.find((m) => m.role === 'tool');
        return { tokens: ['It is ', String(result?.content)] };
      },
    );
    const before = fake.requests.length;
    const { outcome, events, responseMessageId } = await run([calculator]);

    expect(calls.map((c) => c.args)).toEqual([{ input: '0.125*1840' }]);
    expect(calls[0].ctx).toMatchObject({ userId: 'u1', agentId: 'a1', conversationId: 'c1', toolCallId: 'call_1' });
    expect(calls[0].ctx.messageId).toBe(responseMessageId);
    expect(fake.requests.length - before).toBe(2);
    const first = fake.requests[before].body!;
    expect(first.tools).toEqual([
      {
        type: 'function',
        function: { name: 'calc', description: 'the calc tool', parameters: calculator.parameters },
      },
    ]);
    // The second request carries the call and its result, as OpenAI expects them.
    expect(lastBody().messages?.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'calc', arguments: '{"input":"0.125*1840"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '230' },
    ]);
    expect(outcome).toMatchObject({ status: 'completed', text: 'It is 230', finishReason: 'stop' });
    expect(outcome.content).toEqual([
      { type: 'tool_call', tool_call: { id: 'call_1', name: 'calc', args: '{"input":"0.125*1840"}', output: '230' } },
      { type: 'text', text: 'It is 230' },
    ]);
    expect(kinds(events)).toEqual([
      'run_step', // the answer's message step
      'run_step', // the tool call
      ...Array(4).fill('tool_call_delta'),
      'tool_result',
      'run_step', // the message after the call
      'message_delta',
      'message_delta',
    ]);
    const toolStep = readStreamEvent(events[1].payload);
    expect(toolStep).toMatchObject({ stepType: 'tool_calls', toolCall: { id: 'call_1', name: 'calc' }, index: 0 });
    const firstDelta = readStreamEvent(events[2].payload);
    expect(firstDelta).toMatchObject({ calls: [{ id: 'call_1', name: 'calc' }] });
    // The usage of both model calls adds up.
    expect(outcome.usage?.promptTokens).toBeGreaterThan(1);
    // A resume snapshot from the log shows exactly what is stored.
    expect(resumeSnapshot('s', events).resumeState.aggregatedContent).toEqual(outcome.content);
  });

  it('runs the calls of one step in parallel, bounded by the concurrency, and keeps their parts in the model order', async () => {
    let running = 0;
    let most = 0;
    const { tool: slow } = tool('slow', async (args) => {
      running++;
      most = Math.max(most, running);
      await sleep(Number(args.ms));
      running--;
      return { output: `slept ${String(args.ms)}` };
    });
    const threeCalls = {
      toolCalls: [
        { id: 'a', name: 'slow', arguments: '{"ms":150}' },
        { id: 'b', name: 'slow', arguments: '{"ms":10}' },
        { id: 'c', name: 'slow', arguments: '{"ms":60}' },
      ],
    };
    fake.script(threeCalls, { tokens: ['done'] });
    const { outcome, events } = await run([slow], { concurrency: 2 });
    expect(most).toBe(2);
    const results = events.map((e) => readStreamEvent(e.payload)).filter((e) => e?.kind === 'tool_result');
    expect(results.map((r) => (r?.kind === 'tool_result' ? r.toolCall.id : ''))).toEqual(['b', 'c', 'a']);
    expect(outcome.content.map((p) => (p.type === 'tool_call' ? p.tool_call.id : p.type))).toEqual([
      'a',
      'b',
      'c',
      'text',
    ]);
    expect(
      lastBody()
        .messages?.filter((m) => m.role === 'tool')
        .map((m) => m.tool_call_id),
    ).toEqual(['a', 'b', 'c']);

    most = 0;
    fake.script(threeCalls, { tokens: ['done'] });
    await run([slow], { concurrency: 1 });
    expect(most).toBe(1);
  });

  it('gives the model an error result for a tool that throws, an unknown tool and arguments that are not JSON, and goes on', async () => {
    const { tool: broken } = tool('broken', () => Promise.reject(new ToolError('the ledger is closed')));
    const { tool: crashing } = tool('crashing', () => Promise.reject(new TypeError('x is undefined')));
    fake.script(
      {
        toolCalls: [
          { id: 'e1', name: 'broken', arguments: '{}' },
          { id: 'e2', name: 'crashing', arguments: '{}' },
          { id: 'e3', name: 'nosuch', arguments: '{}' },
          { id: 'e4', name: 'broken', arguments: '{"input": 1' },
        ],
      },
      { tokens: ['Sorry'] },
    );
    const { outcome } = await run([broken, crashing]);
    expect(outcome.status).toBe('completed');
    expect(outcome.text).toBe('Sorry');
    const outputs = Object.fromEntries(
      lastBody()
        .messages!.filter((m) => m.role === 'tool')
        .map((m) => [m.tool_call_id, m.content]),
    );
    expect(outputs).toEqual({
      e1: 'Error: the ledger is closed',
      // An unexpected failure is not described to the model (it may hold internals): it is logged.
      e2: 'Error: crashing failed unexpectedly',
      e3: 'Error: there is no tool named "nosuch"',
      e4: 'Error: the arguments are not valid JSON; send a JSON object',
    });
  });

  it('fails a call that outlives its timeout, even one that ignores its signal', async () => {
    const { tool: hanging, calls } = tool('hang', () => new Promise<ToolResult>(() => undefined));
    fake.script({ toolCalls: [{ id: 'h1', name: 'hang', arguments: '{}' }] }, { tokens: ['ok'] });
    const started = Date.now();
    const { outcome } = await run([hanging], { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(calls[0].ctx.signal.aborted).toBe(true);
    expect(outcome.content[0]).toEqual({
      type: 'tool_call',
      tool_call: { id: 'h1', name: 'hang', args: '{}', output: 'Error: hang did not answer within 0.3 s' },
    });
    expect(outcome.text).toBe('ok');
  });

  it('cuts an output to the limit with a visible note, for the model and in the stored run', async () => {
    const { tool: verbose } = tool('verbose', () => Promise.resolve({ output: 'x'.repeat(1000) }));
    fake.script({ toolCalls: [{ id: 'v1', name: 'verbose', arguments: '{}' }] }, { tokens: ['ok'] });
    const { outcome } = await run([verbose], { outputMaxChars: 300 });
    const expected = `${'x'.repeat(300)}\n\n[Output truncated: the first 300 of 1000 characters are shown]`;
    expect(lastBody().messages?.find((m) => m.role === 'tool')?.content).toBe(expected);
    expect(outcome.content[0]).toMatchObject({ tool_call: { output: expected } });
  });

  it('stops at the step limit with a note, answering every call it announced', async () => {
    const { tool: calculator, calls } = calc();
    fake.setDefault({ toolCalls: [{ name: 'calc', arguments: '{"input":"1+1"}' }] });
    try {
      const before = fake.requests.length;
      const { outcome, events } = await run([calculator], { maxSteps: 3 });
      expect(fake.requests.length - before).toBe(3);
      expect(calls).toHaveLength(2);
      expect(outcome).toMatchObject({ status: 'completed', finishReason: 'length' });
      expect(outcome.text).toBe("(Stopped: the agent's limit of 3 steps was reached.)");
      const toolParts = outcome.content.filter((p) => p.type === 'tool_call');
      expect(toolParts).toHaveLength(3);
      expect(toolParts[2]).toMatchObject({ tool_call: { output: 'Not run: the answer reached its step limit' } });
      expect(kinds(events).filter((k) => k === 'tool_result')).toHaveLength(3);
    } finally {
      fake.setDefault({ tokens: ['Hello', ' world'] });
    }
  });

  it('ends the answer with a note when the wall-clock budget runs out during a tool call', async () => {
    const { tool: hanging } = tool('hang', (_args, ctx) =>
      sleep(10_000, undefined, { signal: ctx.signal }).then(() => ({ output: 'late' })),
    );
    fake.script({ toolCalls: [{ id: 'b1', name: 'hang', arguments: '{}' }] });
    const before = fake.requests.length;
    const started = Date.now();
    const { outcome } = await run([hanging], { budgetMs: 400 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(fake.requests.length - before).toBe(1);
    expect(outcome.status).toBe('completed');
    expect(outcome.finishReason).toBe('length');
    expect(outcome.text).toBe('(Stopped: the time allowed for one answer ran out.)');
    expect(outcome.content[0]).toMatchObject({ tool_call: { id: 'b1', output: 'Error: the call was cancelled' } });
  });

  it('aborts within a second during a tool call that ignores its signal, storing the partial run', async () => {
    const { tool: hanging, calls } = tool('hang', () => new Promise<ToolResult>(() => undefined));
    fake.script({ tokens: ['Let me look. '], toolCalls: [{ id: 'x1', name: 'hang', arguments: '{}' }] });
    const controller = new AbortController();
    const before = fake.requests.length;
    const running = run([hanging], {}, controller.signal);
    while (calls.length === 0) await sleep(5);
    const abortedAt = Date.now();
    controller.abort();
    const { outcome, events } = await running;
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(calls[0].ctx.signal.aborted).toBe(true);
    expect(fake.requests.length - before).toBe(1);
    expect(outcome.status).toBe('aborted');
    expect(outcome.content).toEqual([
      { type: 'text', text: 'Let me look. ' },
      { type: 'tool_call', tool_call: { id: 'x1', name: 'hang', args: '{}', output: 'Error: the call was cancelled' } },
    ]);
    expect(resumeSnapshot('s', events).resumeState.aggregatedContent).toEqual(outcome.content);
  });

  it('publishes and keeps the attachments a tool reports, naming the call and the message', async () => {
    const citations = [{ index: 1, title: 'Leave policy', url: 'https://intranet.example/leave' }];
    const { tool: search } = tool('search', () =>
      Promise.resolve({
        output: '[1] Leave policy',
        attachments: [{ type: 'citations' as const, query: 'leave', citations }],
      }),
    );
    fake.script(
      { toolCalls: [{ id: 's1', name: 'search', arguments: '{"query":"leave"}' }] },
      { tokens: ['See [1].'] },
    );
    const { outcome, events, responseMessageId } = await run([search]);
    const expected = {
      type: 'citations',
      query: 'leave',
      citations,
      toolCallId: 's1',
      messageId: responseMessageId,
      conversationId: 'c1',
    };
    expect(outcome.attachments).toEqual([expected]);
    const fold = new ContentFold();
    for (const event of events) {
      const read = readStreamEvent(event.payload);
      if (read) fold.apply(read);
    }
    expect(fold.attachments).toEqual([expected]);
  });

  it('offers no tools and runs none for an agent without tools', async () => {
    fake.script({ tokens: ['plain'] });
    const { outcome } = await run([]);
    expect(lastBody().tools).toBeUndefined();
    expect(outcome.content).toEqual([{ type: 'text', text: 'plain' }]);
  });
});
