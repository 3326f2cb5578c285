import request from 'supertest';
import OpenAI from 'openai-v7';
import { createAgent, createUser, type TestUser } from './factories';
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicRequestBody } from './fake-anthropic';
import { startFakeGoogle, type FakeGoogle, type FakeGoogleRequestBody } from './fake-google';
import { readSse, type SseFrame } from './sse';

/** Where the provider cases run: the api that serves them and the vendor stand-ins behind its agents. */
export interface ProviderDeployment {
  anthropic: FakeAnthropic;
  google: FakeGoogle;
  api: string;
}

/** The Anthropic and Google stand-ins of one deployment, and the variables pointing its providers at them. */
export interface ProviderStandIns {
  anthropic: FakeAnthropic;
  google: FakeGoogle;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startProviderStandIns(): Promise<ProviderStandIns> {
  const [anthropic, google] = await Promise.all([startFakeAnthropic(), startFakeGoogle()]);
  return {
    anthropic,
    google,
    env: {
      ANTHROPIC_BASE_URL: anthropic.baseURL,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      GOOGLE_BASE_URL: google.baseURL,
      GOOGLE_API_KEY: 'g-test',
    },
    close: async () => {
      await Promise.all([anthropic.close(), google.close()]);
    },
  };
}

/** Token counts as a vendor reports them, in OpenAI's terms. */
interface Usage {
  prompt: number;
  completion: number;
}

/** A request a stand-in received, as the cases read it. */
interface Received {
  body: Record<string, unknown> | undefined;
}

/**
 * One vendor as the cases drive it: the agent that uses it, how its stand-in is scripted and how
 * the requests it received carry tools and tool results. Everything else in the cases is the same
 * for both vendors.
 */
interface Vendor {
  provider: 'anthropic' | 'google';
  /** The agent's provider, model and parameters asking for thinking. */
  thinkingAgent: Record<string, unknown>;
  /** What the first request of a thinking agent's answer must carry. */
  thinkingRequest: Record<string, unknown>;
  plainAgent: Record<string, unknown>;
  requests(d: ProviderDeployment): Received[];
  /**
   * Queues a model call that thinks, then calls the calculator with `input` (as call `callId`), and
   * a second one answering `answer(result)`, where `result` is the tool result that second request
   * carried back (undefined when it carried none).
   */
  scriptToolRun(
    d: ProviderDeployment,
    run: { thinking: string[]; callId: string; input: string; answer: (result: string | undefined) => string[] },
  ): void;
  scriptAnswer(d: ProviderDeployment, tokens: string[], usage: Usage): void;
  scriptFailure(d: ProviderDeployment, status: number, message: string): void;
  /** The tool names a request offered the model. */
  offeredTools(body: Received['body']): string[];
  /** The tool results a request carried back to the model. */
  toolResults(body: Received['body']): { id: string; output: unknown }[];
}

const anthropicToolResults = (body: FakeAnthropicRequestBody | undefined): { id: string; output: unknown }[] =>
  (body?.messages ?? [])
    .flatMap((m) => (Array.isArray(m.content) ? (m.content as Record<string, unknown>[]) : []))
    .filter((block) => block.type === 'tool_result')
    .map((block) => ({ id: String(block.tool_use_id), output: block.content }));

const googleToolResults = (body: FakeGoogleRequestBody | undefined): { id: string; output: unknown }[] =>
  (body?.contents ?? [])
    .flatMap((c) => c.parts ?? [])
    .map((part) => part.functionResponse as { id?: string; response?: { output?: unknown } } | undefined)
    .filter((response) => response !== undefined)
    .map((response) => ({ id: String(response.id), output: response.response?.output }));

const ANTHROPIC: Vendor = {
  provider: 'anthropic',
  thinkingAgent: {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    model_parameters: { thinking_budget: 1024, max_tokens: 2048 },
  },
  thinkingRequest: { model: 'claude-sonnet-4-5', thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2048 },
  plainAgent: { provider: 'anthropic', model: 'claude-haiku-4-5' },
  requests: (d) => d.anthropic.requests,
  scriptToolRun: (d, run) =>
    d.anthropic.script(
      {
        thinking: run.thinking,
        toolCalls: [{ id: run.callId, name: 'calculator', input: JSON.stringify({ input: run.input }) }],
      },
      (body) => ({
        tokens: run.answer(
          anthropicToolResults(body)
            .map((r) => String(r.output))
            .pop(),
        ),
      }),
    ),
  scriptAnswer: (d, tokens, usage) =>
    d.anthropic.script({ tokens, usage: { input_tokens: usage.prompt, output_tokens: usage.completion } }),
  scriptFailure: (d, status, message) => d.anthropic.script({ fail: { status, message } }),
  offeredTools: (body) => ((body?.tools ?? []) as { name: string }[]).map((t) => t.name),
  toolResults: anthropicToolResults,
};

const GOOGLE: Vendor = {
  provider: 'google',
  thinkingAgent: { provider: 'google', model: 'gemini-2.5-flash', model_parameters: { thinking_budget: 512 } },
  thinkingRequest: { generationConfig: { thinkingConfig: { thinkingBudget: 512, includeThoughts: true } } },
  plainAgent: { provider: 'google', model: 'gemini-2.5-flash' },
  requests: (d) => d.google.requests,
  scriptToolRun: (d, run) =>
    d.google.script(
      { thoughts: run.thinking, functionCalls: [{ id: run.callId, name: 'calculator', args: { input: run.input } }] },
      (body) => ({
        tokens: run.answer(
          googleToolResults(body)
            .map((r) => String(r.output))
            .pop(),
        ),
      }),
    ),
  scriptAnswer: (d, tokens, usage) =>
    d.google.script({ tokens, usage: { promptTokenCount: usage.prompt, candidatesTokenCount: usage.completion } }),
  scriptFailure: (d, status, message) => d.google.script({ fail: { status, message } }),
  offeredTools: (body) =>
    ((body?.tools ?? []) as { functionDeclarations?: { name: string }[] }[]).flatMap((t) =>
      (t.functionDeclarations ?? []).map((f) => f.name),
    ),
  toolResults: googleToolResults,
};

/** Consecutive frames of one kind counted once: the shape of a run whatever the vendor's chunking. */
const runShape = (frames: SseFrame[]): string[] =>
  frames
    .map((f) =>
      f.event === 'error'
        ? 'error'
        : f.data.created
          ? 'created'
          : f.data.final
            ? 'final'
            : f.data.event === 'on_run_step'
              ? `run_step:${String(f.data.data.type)}`
              : String(f.data.event),
    )
    .filter((kind, i, all) => i === 0 || kind !== all[i - 1]);
const deltas = (frames: SseFrame[], event: string, field: 'text' | 'think'): string[] =>
  frames.filter((f) => f.data.event === event).map((f) => String(f.data.data.delta.content[0][field]));
const finalOf = (frames: SseFrame[]): Record<string, any> => frames[frames.length - 1].data as Record<string, any>;

/** What a vendor's error body says; none of it may reach a user. */
const VENDOR_WORDS = 'Overloaded: shard eu-claude-7 at 10.20.30.40 is draining (req_vendor_secret)';
const expectNoVendorWords = (value: unknown): void => {
  const text = JSON.stringify(value);
  for (const piece of ['Overloaded', 'eu-claude-7', '10.20.30.40', 'req_vendor_secret']) {
    expect(text).not.toContain(piece);
  }
};

/** The Anthropic and Google cases, written once for both run modes. */
export function providerChatCases(deployment: () => ProviderDeployment): void {
  const ctx = () => deployment();
  const http = () => request(ctx().api);
  const chat = async (me: TestUser, agentId: string, text: string) =>
    (await http().post('/api/agents/chat').set(me.auth).send({ agent_id: agentId, text }).expect(200)).body as {
      streamId: string;
      conversationId: string;
      responseMessageId: string;
    };
  // Generous: the first answer of a deployment waits for its worker to start, slow on a busy machine.
  const stream = (me: TestUser, streamId: string) =>
    readSse(`${ctx().api}/api/agents/chat/stream/${streamId}`, me.auth, { timeoutMs: 30_000 });
  const storedAnswer = async (me: TestUser, conversationId: string): Promise<Record<string, any>> => {
    const messages = (await http().get(`/api/messages/${conversationId}`).set(me.auth).expect(200)).body as Record<
      string,
      any
    >[];
    expect(messages).toHaveLength(2);
    return messages[1];
  };
  const newKey = async (me: TestUser): Promise<string> =>
    (await http().post('/api/api-keys').set(me.auth).send({ name: 'sdk' }).expect(201)).body.key as string;

  it('lists Anthropic and Google as configured', async () => {
    const me = await createUser(http());
    const listed = (await http().get('/api/agents/providers').set(me.auth).expect(200)).body as {
      name: string;
      configured: boolean;
    }[];
    const configured = new Map(listed.map((p) => [p.name, p.configured]));
    expect(configured.get('anthropic')).toBe(true);
    expect(configured.get('google')).toBe(true);
  });

  describe.each([ANTHROPIC, GOOGLE])('$provider', (vendor) => {
    it('streams the thinking, a calculator call the worker runs and the answer in order, and stores what streamed', async () => {
      const me = await createUser(http());
      const agent = await createAgent(http(), me, { ...vendor.thinkingAgent, tools: ['calculator'] });
      vendor.scriptToolRun(ctx(), {
        thinking: ['Twelve and a half ', 'percent of ', '1,840.'],
        callId: 'call_pct',
        input: '12.5% * 1840',
        answer: (result) => ['12.5% of ', '1,840 ', 'is ', String(result), '.'],
      });
      const before = vendor.requests(ctx()).length;
      const started = await chat(me, agent.id, 'What is 12.5% of 1,840?');
      const sse = await stream(me, started.streamId);

      expect(runShape(sse.frames)).toEqual([
        'created',
        'run_step:message_creation',
        'on_reasoning_delta',
        'run_step:tool_calls',
        'on_run_step_delta',
        'on_run_step_completed',
        'run_step:message_creation',
        'on_message_delta',
        'final',
      ]);
      // In order and whole; deltas that come while a publish is in flight may arrive joined.
      expect(deltas(sse.frames, 'on_reasoning_delta', 'think').join('')).toBe('Twelve and a half percent of 1,840.');
      expect(deltas(sse.frames, 'on_message_delta', 'text').join('')).toBe('12.5% of 1,840 is 230.');
      const completed = sse.frames.filter((f) => f.data.event === 'on_run_step_completed');
      expect(completed.map((f): unknown => f.data.data.result.tool_call)).toEqual([
        { id: 'call_pct', name: 'calculator', args: '{"input":"12.5% * 1840"}', output: '230' },
      ]);

      // The stand-in was asked with thinking on and the calculator offered, then got the result back.
      const [first, second, ...more] = vendor.requests(ctx()).slice(before);
      expect(more).toHaveLength(0);
      expect(first.body).toMatchObject(vendor.thinkingRequest);
      expect(vendor.offeredTools(first.body)).toEqual(['calculator']);
      expect(vendor.toolResults(first.body)).toEqual([]);
      expect(vendor.toolResults(second.body)).toEqual([{ id: 'call_pct', output: '230' }]);

      const content = [
        { type: 'think', think: 'Twelve and a half percent of 1,840.' },
        {
          type: 'tool_call',
          tool_call: { id: 'call_pct', name: 'calculator', args: '{"input":"12.5% * 1840"}', output: '230' },
        },
        { type: 'text', text: '12.5% of 1,840 is 230.' },
      ];
      const final = finalOf(sse.frames);
      expect(final).toMatchObject({
        final: true,
        responseMessage: { text: '12.5% of 1,840 is 230.', content, error: false },
      });
      const stored = await storedAnswer(me, started.conversationId);
      expect(stored).toMatchObject({
        messageId: started.responseMessageId,
        text: '12.5% of 1,840 is 230.',
        content,
        unfinished: false,
        error: false,
      });
      expect(stored.content).toEqual(final.responseMessage.content);
    });

    it('answers through the OpenAI-compatible API (completions, streamed or not, and responses) with the usage the provider reported', async () => {
      const me = await createUser(http());
      const agent = await createAgent(http(), me, vendor.plainAgent);
      const client = new OpenAI({ apiKey: await newKey(me), baseURL: `${ctx().api}/api/agents/v1`, maxRetries: 0 });

      vendor.scriptAnswer(ctx(), ['Bon', 'jour'], { prompt: 17, completion: 2 });
      const completion = await client.chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: 'Say hello in French' }],
      });
      expect(completion.choices[0]).toMatchObject({
        message: { role: 'assistant', content: 'Bonjour' },
        finish_reason: 'stop',
      });
      expect(completion.usage).toMatchObject({ prompt_tokens: 17, completion_tokens: 2, total_tokens: 19 });

      vendor.scriptAnswer(ctx(), ['Ho', 'la', ' amigo'], { prompt: 23, completion: 3 });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of await client.chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: 'Say hello in Spanish' }],
        stream: true,
        stream_options: { include_usage: true },
      })) {
        chunks.push(chunk);
      }
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hola amigo');
      expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
      expect(chunks[chunks.length - 1]).toMatchObject({
        choices: [],
        usage: { prompt_tokens: 23, completion_tokens: 3, total_tokens: 26 },
      });

      vendor.scriptAnswer(ctx(), ['Hallo', ' Welt'], { prompt: 31, completion: 5 });
      const response = await client.responses.create({ model: agent.id, input: 'Say hello in German' });
      expect(response).toMatchObject({
        status: 'completed',
        output_text: 'Hallo Welt',
        usage: { input_tokens: 31, output_tokens: 5, total_tokens: 36 },
      });
    });

    it('retries a 429 that came before the first token and answers', async () => {
      const me = await createUser(http());
      const agent = await createAgent(http(), me, vendor.plainAgent);
      vendor.scriptFailure(ctx(), 429, 'Slow down');
      vendor.scriptAnswer(ctx(), ['After ', 'a pause.'], { prompt: 3, completion: 2 });
      const before = vendor.requests(ctx()).length;
      const started = await chat(me, agent.id, 'Hello');
      const sse = await stream(me, started.streamId);

      const sent = vendor.requests(ctx()).slice(before);
      expect(sent).toHaveLength(2);
      expect(sent[1].body).toEqual(sent[0].body); // the same request, sent again
      expect(sse.frames.some((f) => f.event === 'error')).toBe(false);
      expect(deltas(sse.frames, 'on_message_delta', 'text').join('')).toBe('After a pause.');
      expect(finalOf(sse.frames)).toMatchObject({
        final: true,
        responseMessage: { text: 'After a pause.', error: false },
      });
      expect(await storedAnswer(me, started.conversationId)).toMatchObject({ text: 'After a pause.', error: false });
    });
  });

  it('ends the answer as failed with a safe message when Anthropic stays overloaded (529), never showing its words', async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, ANTHROPIC.plainAgent);
    const { anthropic } = ctx();
    anthropic.setDefault({ fail: { status: 529, message: VENDOR_WORDS } });
    try {
      const before = anthropic.requests.length;
      const started = await chat(me, agent.id, 'Hello');
      const sse = await stream(me, started.streamId);

      const sent = anthropic.requests.slice(before);
      expect(sent.length).toBeGreaterThanOrEqual(2); // retried: nothing had reached the user yet
      expect(sent.every((r) => JSON.stringify(r.body) === JSON.stringify(sent[0].body))).toBe(true);
      expect(deltas(sse.frames, 'on_message_delta', 'text')).toEqual([]);
      const end = sse.frames[sse.frames.length - 1];
      expect(end.event).toBe('error');
      expect(end.data.error).toBe('The anthropic provider is unavailable (HTTP 529); try again shortly.');
      expectNoVendorWords(sse.frames);

      const status = await http().get(`/api/agents/chat/status/${started.conversationId}`).set(me.auth).expect(200);
      expect(status.body).toMatchObject({ status: 'failed' });
      expectNoVendorWords(status.body);
      const stored = await storedAnswer(me, started.conversationId);
      expect(stored).toMatchObject({ messageId: started.responseMessageId, error: true });
      expectNoVendorWords(stored);
    } finally {
      anthropic.setDefault({ tokens: ['Hello', ' world'] });
    }
  });
}
