import { HumanMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import OpenAI, { APIError, BadRequestError, NotFoundError, RateLimitError } from 'openai-v7';
import { randomUUID } from 'node:crypto';
import { runAiSdk } from './support/ai-sdk';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeFailure, type FakeOpenAI, type RecordedRequest } from './support/fake-openai';
import { share } from './support/sharing';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * OpenAI's client libraries work against the OpenAI-compatible API unchanged, the way their users
 * write them: the official SDK (v7), LangChain's ChatOpenAI and the Vercel AI SDK. The fake OpenAI
 * server stands behind the agents and records what the service sends on.
 */
describe('OpenAI client libraries (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let owner: TestUser;
  let key: string;
  let agent: { id: string; name: string };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test' });
    owner = await createUser(t.http);
    key = await newKey(owner);
    const created = await createAgent(t.http, owner, { instructions: 'Be brief.' });
    agent = { id: created.id, name: String(created.name) };
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  async function newKey(user: TestUser): Promise<string> {
    return (await t.http.post('/api/api-keys').set(user.auth).send({ name: 'clients' }).expect(201)).body.key as string;
  }

  const baseURL = (): string => `${t.baseUrl}/api/agents/v1`;
  const sdk = (apiKey = key): OpenAI => new OpenAI({ apiKey, baseURL: baseURL(), maxRetries: 0 });
  const lastRequest = (): RecordedRequest => fake.requests[fake.requests.length - 1];
  const sentMessages = (): unknown => lastRequest().body?.messages;

  /** OpenAI's (Go's) duration notation of x-ratelimit-reset-*: 20ms, 1s, 2.5s, 6m0s, 1h0m0s. */
  const GO_DURATION = /^(\d+h)?(\d+m)?(\d+(\.\d+)?s|\d+ms)$/;

  async function caught(work: () => Promise<unknown>): Promise<APIError> {
    try {
      await work();
    } catch (err) {
      if (err instanceof APIError) return err;
      throw err;
    }
    throw new Error('expected the SDK to throw');
  }

  describe('sending back what the service returned', () => {
    it('openai SDK: a multi-turn chat appends choices[0].message to the next request', async () => {
      fake.script({ tokens: ['A1'] }, { tokens: ['A2'] }, { tokens: ['A3'] });
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Q1' }];
      for (const next of ['Q2', 'Q3', undefined]) {
        const completion = await sdk().chat.completions.create({ model: agent.id, messages });
        messages.push(completion.choices[0].message);
        if (next) messages.push({ role: 'user', content: next });
      }
      expect(messages[1]).toEqual({ role: 'assistant', content: 'A1', refusal: null, annotations: [] });
      expect(sentMessages()).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'Q2' },
        { role: 'assistant', content: 'A2' },
        { role: 'user', content: 'Q3' },
      ]);
    });

    it('openai SDK: a multi-turn Responses conversation sends response.output items back, stored or not', async () => {
      for (const store of [false, true]) {
        fake.script({ tokens: ['A1'] }, { tokens: ['A2'] });
        let input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Q1' }];
        const first = await sdk().responses.create({ model: agent.id, input, store });
        // The SDK's output types are wider than its input types; the service outputs message items only.
        const output = first.output.filter((item) => item.type === 'message');
        expect(output).toHaveLength(first.output.length);
        input = [...input, ...output, { role: 'user', content: 'Q2' }];
        const second = await sdk().responses.create({ model: agent.id, input, store });
        expect(second.output_text).toBe('A2');
        expect(sentMessages()).toEqual([
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Q1' },
          { role: 'assistant', content: 'A1' },
          { role: 'user', content: 'Q2' },
        ]);
      }
    });

    it('Vercel AI SDK: the second Responses turn sends an item_reference, resolved from the stored response', async () => {
      fake.script({ tokens: ['A1'] }, { tokens: ['A2'] });
      const outcome = await runAiSdk({
        baseURL: baseURL(),
        apiKey: key,
        model: agent.id,
        api: 'responses',
        turns: ['Q1', 'Q2'],
      });
      expect(outcome.error).toBeUndefined();
      expect(outcome.texts).toEqual(['A1', 'A2']);
      expect(JSON.stringify(outcome.requests[1])).toContain('"type":"item_reference"');
      expect(sentMessages()).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'Q2' },
      ]);
    });

    it('an item_reference to an unknown item, or to another user’s, is a 404 invalid_request_error', async () => {
      fake.script({ tokens: ['mine'] });
      const mine = await sdk().responses.create({ model: agent.id, input: 'Hi' });
      const itemId = mine.output[0].id!;
      const stranger = await createUser(t.http);
      const strangerKey = await newKey(stranger);
      const strangerAgent = await createAgent(t.http, stranger);
      for (const [apiKey, model, id] of [
        [strangerKey, strangerAgent.id, itemId],
        [key, agent.id, 'msg_0123456789abcdef0123456789abcdef'],
      ]) {
        const error = await caught(() =>
          sdk(apiKey).responses.create({
            model,
            input: [
              { type: 'item_reference', id },
              { role: 'user', content: 'And?' },
            ],
          }),
        );
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ status: 404, type: 'invalid_request_error', param: 'input[0].id' });
        expect(error.message).toContain(id);
      }
    });
  });

  describe('parameters real clients send', () => {
    /** A fetch that records the JSON bodies a client library posts, so a test sees what it really sent. */
    function recordingFetch(): { fetch: typeof fetch; bodies: Record<string, unknown>[] } {
      const bodies: Record<string, unknown>[] = [];
      return {
        bodies,
        fetch: async (input, init) => {
          if (typeof init?.body === 'string') bodies.push(JSON.parse(init.body));
          return fetch(input, init);
        },
      };
    }

    const harmless = {
      metadata: { ticket: 'T-1', team: 'support' },
      safety_identifier: 'end-user-42',
      prompt_cache_key: 'faq-bot',
      service_tier: 'auto',
      user: 'end-user-42',
    } as const;

    it('LangChain ChatOpenAI over chat completions, multi-turn, with the parameters it passes', async () => {
      fake.script({ tokens: ['L1'] }, { tokens: ['L2'] });
      const recorder = recordingFetch();
      const llm = new ChatOpenAI({
        model: agent.id,
        apiKey: key,
        configuration: { baseURL: baseURL(), fetch: recorder.fetch },
        maxRetries: 0,
        temperature: 0.3,
        verbosity: 'low',
        promptCacheKey: harmless.prompt_cache_key,
        service_tier: 'auto',
        modelKwargs: { metadata: harmless.metadata, safety_identifier: harmless.safety_identifier, logit_bias: {} },
      });
      const first = await llm.invoke([new HumanMessage('Q1')]);
      const second = await llm.invoke([new HumanMessage('Q1'), first, new HumanMessage('Q2')]);
      expect([first.content, second.content]).toEqual(['L1', 'L2']);
      expect(recorder.bodies[1]).toMatchObject({
        verbosity: 'low',
        prompt_cache_key: 'faq-bot',
        service_tier: 'auto',
        metadata: harmless.metadata,
        safety_identifier: harmless.safety_identifier,
        logit_bias: {},
      });
      expect(lastRequest().body).toMatchObject({ verbosity: 'low', temperature: 0.3 });
      expect(sentMessages()).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'L1' },
        { role: 'user', content: 'Q2' },
      ]);
    });

    it('LangChain ChatOpenAI with useResponsesApi (text: {} on every call), multi-turn and streamed', async () => {
      fake.script({ tokens: ['R1'] }, { tokens: ['R', '2'] });
      const recorder = recordingFetch();
      const llm = new ChatOpenAI({
        model: agent.id,
        apiKey: key,
        configuration: { baseURL: baseURL(), fetch: recorder.fetch },
        maxRetries: 0,
        useResponsesApi: true,
        promptCacheKey: harmless.prompt_cache_key,
        // LangChain sends `reasoning` itself only for model names it knows to reason; an agent id is none.
        modelKwargs: {
          metadata: harmless.metadata,
          truncation: 'disabled',
          include: [],
          reasoning: { effort: 'low', summary: 'auto' },
        },
      });
      const first = await llm.invoke([new HumanMessage('Q1')]);
      let streamed = '';
      for await (const chunk of await llm.stream([new HumanMessage('Q1'), first, new HumanMessage('Q2')])) {
        streamed += typeof chunk.content === 'string' ? chunk.content : chunk.text;
      }
      expect(first.text).toBe('R1');
      expect(streamed).toBe('R2');
      expect(recorder.bodies).toHaveLength(2);
      for (const body of recorder.bodies) {
        expect(body).toMatchObject({
          text: {},
          truncation: 'disabled',
          include: [],
          reasoning: { effort: 'low', summary: 'auto' },
          metadata: harmless.metadata,
        });
      }
      expect(lastRequest().body).toMatchObject({ reasoning_effort: 'low' });
      expect(sentMessages()).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'R1' },
        { role: 'user', content: 'Q2' },
      ]);
    });

    it('openai SDK: chat completions take every harmless parameter; the tier that applied is echoed', async () => {
      fake.script({ tokens: ['ok'] }, { tokens: ['ok'] });
      const completion = await sdk().chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: 'Hi' }],
        ...harmless,
        verbosity: 'high',
        reasoning_effort: 'minimal',
        logit_bias: {},
        top_logprobs: 0,
        tool_choice: 'none',
        parallel_tool_calls: true,
        prompt_cache_retention: '24h',
      });
      expect(completion.service_tier).toBe('default');
      expect(lastRequest().body).toMatchObject({ verbosity: 'high', reasoning_effort: 'minimal' });

      const stream = await sdk().chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { include_usage: true, include_obfuscation: false },
        service_tier: 'flex',
      });
      for await (const chunk of stream) expect(chunk.service_tier).toBe('default');
    });

    it('openai SDK: Responses take every harmless parameter and echo them; metadata is stored with the response', async () => {
      fake.script({ tokens: ['ok'] });
      const response = await sdk().responses.create({
        model: agent.id,
        input: 'Hi',
        ...harmless,
        text: { verbosity: 'low' },
        truncation: 'disabled',
        include: ['reasoning.encrypted_content'],
        reasoning: { effort: 'low', summary: 'concise' },
        tool_choice: 'none',
        parallel_tool_calls: false,
        max_tool_calls: 4,
        top_logprobs: 0,
        prompt_cache_retention: 'in_memory',
      });
      const echoed = {
        metadata: harmless.metadata,
        safety_identifier: harmless.safety_identifier,
        prompt_cache_key: harmless.prompt_cache_key,
        prompt_cache_retention: 'in_memory',
        user: harmless.user,
        service_tier: 'default',
        text: { format: { type: 'text' }, verbosity: 'low' },
        truncation: 'disabled',
        reasoning: { effort: 'low', summary: 'concise' },
        tool_choice: 'none',
        parallel_tool_calls: false,
        max_tool_calls: 4,
        top_logprobs: 0,
      };
      expect(response).toMatchObject(echoed);
      expect(await sdk().responses.retrieve(response.id)).toMatchObject(echoed);
      expect(lastRequest().body).toMatchObject({ reasoning_effort: 'low', verbosity: 'low' });

      fake.script({ tokens: ['streamed'] });
      const stream = await sdk().responses.create({
        model: agent.id,
        input: 'Hi',
        stream: true,
        stream_options: { include_obfuscation: false },
        metadata: { run: '7' },
      });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const completed = events.find((e) => e.type === 'response.completed');
      expect(completed?.response.metadata).toEqual({ run: '7' });
    });

    it('openai SDK: what would change the answer and cannot be honoured is refused as unsupported_parameter', async () => {
      const refused = await caught(() =>
        sdk().responses.create({ model: agent.id, input: 'Hi', include: ['message.output_text.logprobs'] }),
      );
      expect(refused).toBeInstanceOf(BadRequestError);
      expect(refused).toMatchObject({ param: 'include', code: 'unsupported_parameter' });
      const bias = await caught(() =>
        sdk().chat.completions.create({
          model: agent.id,
          messages: [{ role: 'user', content: 'Hi' }],
          logit_bias: { '1234': 100 },
        }),
      );
      expect(bias).toMatchObject({ status: 400, param: 'logit_bias', code: 'unsupported_parameter' });
    });
  });

  describe('headers clients and gateways read', () => {
    function expectOpenAIHeaders(headers: Headers, limit: string): void {
      expect(headers.get('openai-processing-ms')).toMatch(/^\d+$/);
      expect(headers.get('x-ratelimit-limit-requests')).toBe(limit);
      expect(headers.get('x-ratelimit-remaining-requests')).toMatch(/^\d+$/);
      expect(Number(headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(Number(limit));
      expect(headers.get('x-ratelimit-reset-requests')).toMatch(GO_DURATION);
    }

    it('openai SDK: every answer carries x-ratelimit-*-requests and openai-processing-ms, streams at header time', async () => {
      const models = await sdk().models.list().withResponse();
      expectOpenAIHeaders(models.response.headers, '600');

      fake.script({ tokens: ['ok'] }, { tokens: ['a', 'b'] }, { tokens: ['c', 'd'] });
      const completion = await sdk()
        .chat.completions.create({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }] })
        .withResponse();
      expectOpenAIHeaders(completion.response.headers, '600');

      const chatStream = await sdk()
        .chat.completions.create({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }], stream: true })
        .withResponse();
      expectOpenAIHeaders(chatStream.response.headers, '600');
      for await (const chunk of chatStream.data) expect(chunk.object).toBe('chat.completion.chunk');

      const responseStream = await sdk()
        .responses.create({ model: agent.id, input: 'Hi', stream: true })
        .withResponse();
      expectOpenAIHeaders(responseStream.response.headers, '600');
      for await (const event of responseStream.data) expect(event.type).toMatch(/^response\./);

      const invalid = await caught(() => sdk().chat.completions.create({ model: agent.id, messages: [] }));
      expect(invalid.status).toBe(400);
      expectOpenAIHeaders(invalid.headers!, '600');

      // Before any key is known, and before the body is even parsed: the processing time still.
      const anonymous = await fetch(`${baseURL()}/models`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
      const malformed = await fetch(`${baseURL()}/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: '{"model": ',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    });
  });

  describe('an upstream failure, through the SDK', () => {
    /** Queues `failure` for the next generation: once, or for each of the worker's attempts at a retryable status. */
    function failNext(failure: FakeFailure): void {
      const attempts = failure.status === 429 || failure.status >= 500 ? 3 : 1;
      fake.script(...Array.from({ length: attempts }, () => ({ fail: { retryAfter: '0', ...failure } })));
    }
    const ask = (): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming => ({
      model: agent.id,
      messages: [{ role: 'user', content: 'Hi' }],
    });

    it('an upstream 400 is the caller’s BadRequestError, streaming or not, chat or Responses', async () => {
      failNext({ status: 400, message: 'maximum context length exceeded' });
      const plain = await caught(() => sdk().chat.completions.create(ask()));
      expect(plain).toBeInstanceOf(BadRequestError);
      expect(plain).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'provider_rejected_request' });
      expect(plain.message).not.toContain('maximum context length');

      failNext({ status: 400 });
      const streamed = await caught(() => sdk().chat.completions.create({ ...ask(), stream: true }));
      expect(streamed).toBeInstanceOf(BadRequestError);

      failNext({ status: 400 });
      const response = await caught(() => sdk().responses.create({ model: agent.id, input: 'Hi' }));
      expect(response).toBeInstanceOf(BadRequestError);
      expect(response).toMatchObject({ status: 400, code: 'provider_rejected_request' });
    });

    it('a streamed Response that fails ends in response.failed whose code says whose fault it was', async () => {
      const codes: (string | undefined)[] = [];
      for (const status of [400, 429, 500]) {
        failNext({ status });
        const stream = await sdk().responses.create({ model: agent.id, input: 'Hi', stream: true });
        let failed: OpenAI.Responses.ResponseFailedEvent | undefined;
        for await (const event of stream) if (event.type === 'response.failed') failed = event;
        expect(failed?.response.status).toBe('failed');
        codes.push(failed?.response.error?.code);
      }
      expect(codes).toEqual(['invalid_prompt', 'rate_limit_exceeded', 'server_error']);
    });

    it('an upstream 429 is a RateLimitError', async () => {
      failNext({ status: 429 });
      const limited = await caught(() => sdk().chat.completions.create(ask()));
      expect(limited).toBeInstanceOf(RateLimitError);
    });
  });

  describe('an agent’s name as model', () => {
    const unique = (): string => `Support desk ${randomUUID().slice(0, 8)}`;

    it('openai SDK and LangChain: a name the caller’s agents hold once works like its id, everywhere', async () => {
      const name = unique();
      const named = await createAgent(t.http, owner, { name });
      fake.script({ tokens: ['by name'] }, { tokens: ['by name too'] }, { tokens: ['langchain'] });
      const completion = await sdk().chat.completions.create({
        model: name,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(completion.choices[0].message.content).toBe('by name');
      expect(completion.model).toBe(named.id); // the model it resolved to, as OpenAI echoes a dated snapshot
      const response = await sdk().responses.create({ model: name, input: 'Hi' });
      expect(response).toMatchObject({ model: named.id, output_text: 'by name too' });
      expect((await sdk().models.retrieve(name)).id).toBe(named.id);
      const llm = new ChatOpenAI({ model: name, apiKey: key, configuration: { baseURL: baseURL() }, maxRetries: 0 });
      expect((await llm.invoke('Hi')).content).toBe('langchain');
    });

    it('exact case first, any case when no agent has it exactly; several matches are model_ambiguous with their ids', async () => {
      const name = unique();
      const lower = await createAgent(t.http, owner, { name: name.toLowerCase() });
      const upper = await createAgent(t.http, owner, { name: name.toUpperCase() });
      fake.script({ tokens: ['lower'] });
      const exact = await sdk().chat.completions.create({
        model: name.toLowerCase(),
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(exact.model).toBe(lower.id);

      const ambiguous = await caught(() => sdk().models.retrieve(name)); // neither holds this exact case
      expect(ambiguous).toBeInstanceOf(BadRequestError);
      expect(ambiguous).toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        code: 'model_ambiguous',
        param: 'model',
      });
      expect(ambiguous.message).toContain(lower.id);
      expect(ambiguous.message).toContain(upper.id);

      const single = unique();
      const only = await createAgent(t.http, owner, { name: single });
      expect((await sdk().models.retrieve(single.toUpperCase())).id).toBe(only.id);
    });

    it('only agents the caller may USE count: another user’s, or one shared to view, are no match (404)', async () => {
      const member = await createUser(t.http); // not the first user, so no ADMIN who may use every agent
      const memberKey = await newKey(member);
      const stranger = await createUser(t.http);
      const name = unique();
      const theirs = await createAgent(t.http, stranger, { name });
      const viewOnly = await createAgent(t.http, stranger, { name: `${name} (view)` });
      await share(t.http, stranger, viewOnly.id, {
        updated: [{ type: 'user', id: member.id, accessRoleId: 'agent_viewer' }],
      });
      for (const model of [name, `${name} (view)`]) {
        const error = await caught(() =>
          sdk(memberKey).chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] }),
        );
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ code: 'model_not_found', param: 'model' });
      }
      // Shared to use, the name is the member's to use too.
      await share(t.http, stranger, theirs.id, {
        updated: [{ type: 'user', id: member.id, accessRoleId: 'agent_user' }],
      });
      expect((await sdk(memberKey).models.retrieve(name)).id).toBe(theirs.id);
    });

    it('lists at most 10 candidates', async () => {
      const name = unique();
      for (let i = 0; i < 11; i++) await createAgent(t.http, owner, { name });
      const error = await caught(() => sdk().models.retrieve(name));
      expect(error).toMatchObject({ status: 400, code: 'model_ambiguous' });
      expect(error.message).toContain('more than 10');
      expect(error.message.match(/agent_[A-Za-z0-9_-]{21}/g)).toHaveLength(10);
    });
  });

  // Last in the file: once a second in-process app closes, the first one's database access fails.
  describe('headers clients and gateways read, with small limits', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await startTestApp({
        OPENAI_BASE_URL: fake.baseURL,
        OPENAI_API_KEY: 'sk-test',
        OPENAI_COMPAT_RATE_LIMIT: '3',
        MAX_CONCURRENT_GENERATIONS: '1',
      });
    });
    afterAll(() => limited?.close());

    const limitedKey = async (user: TestUser): Promise<string> =>
      (await limited.http.post('/api/api-keys').set(user.auth).send({ name: 'limited' }).expect(201)).body
        .key as string;
    const limitedSdk = (apiKey: string, maxRetries = 0): OpenAI =>
      new OpenAI({ apiKey, baseURL: `${limited.baseUrl}/api/agents/v1`, maxRetries });

    it('a 429 carries Retry-After and retry-after-ms (under a minute, so OpenAI’s SDKs wait exactly that)', async () => {
      const user = await createUser(limited.http);
      const client = limitedSdk(await limitedKey(user));
      const remaining: (string | null)[] = [];
      for (let i = 0; i < 3; i++) {
        remaining.push(
          (await client.models.list().withResponse()).response.headers.get('x-ratelimit-remaining-requests'),
        );
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const error = await caught(() => client.models.list());
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
      const ms = Number(error.headers!.get('retry-after-ms'));
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(60_000);
      expect(error.headers!.get('retry-after')).toBe(String(Math.ceil(ms / 1000)));
      expect(error.headers!.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(error.headers!.get('x-ratelimit-reset-requests')).toMatch(GO_DURATION);
    });

    it('OpenAI’s SDK retries a 429 after the wait it names: over the concurrent-generation limit, the retry succeeds', async () => {
      const user = await createUser(limited.http);
      const agentOfUser = await createAgent(limited.http, user);
      const client = limitedSdk(await limitedKey(user), 1);
      fake.script({ tokens: ['slow', ' answer'], tokenDelayMs: 500 }, { tokens: ['second'] });
      const slow = client.chat.completions.create({
        model: agentOfUser.id,
        messages: [{ role: 'user', content: 'Take your time' }],
      });
      const requests = fake.requests.length;
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (fake.requests.length > requests) {
            clearInterval(poll);
            resolve();
          }
        }, 10);
      });
      const started = Date.now();
      const second = await client.chat.completions.create({
        model: agentOfUser.id,
        messages: [{ role: 'user', content: 'Me too' }],
      });
      const elapsed = Date.now() - started;
      expect(second.choices[0].message.content).toBe('second');
      expect((await slow).choices[0].message.content).toBe('slow answer');
      // The 429 asked for 5 s (retry-after-ms: 5000); the SDK's own first backoff is under 1 s.
      expect(elapsed).toBeGreaterThanOrEqual(4_900);
    });
  });
});
