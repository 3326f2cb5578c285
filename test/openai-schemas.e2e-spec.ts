import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { expectResponseEvent, expectSchema } from './support/openai-schemas';
import { startTestApp, type TestApp } from './support/test-app';

interface WireFrame {
  event?: string;
  data: string;
}

/** The `data:` frames of an SSE body, as sent (comments dropped). */
function framesOf(body: string): WireFrame[] {
  return body
    .split('\n\n')
    .map((block) => {
      const lines = block.split('\n').filter((line) => !line.startsWith(':'));
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return { event, data };
    })
    .filter((frame) => frame.data !== '');
}

/**
 * Every shape the OpenAI-compatible API sends, checked against OpenAI's published OpenAPI schema
 * (vendored under test/schemas/openai): what a client generated from that schema, or a strict
 * validator in a gateway, must accept. The wire JSON is checked, not what an SDK makes of it.
 */
describe('OpenAI-compatible API conforms to OpenAI’s published schema (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let owner: TestUser;
  let key: string;
  let agent: { id: string };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test' });
    owner = await createUser(t.http);
    key = (await t.http.post('/api/api-keys').set(owner.auth).send({ name: 'schema' }).expect(201)).body.key as string;
    agent = await createAgent(t.http, owner, { name: 'Schema agent', description: null });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const call = (path: string, body?: unknown, apiKey = key): Promise<Response> =>
    fetch(`${t.baseUrl}/api/agents/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('models: the list and one model', async () => {
    const list = await call('/models');
    expect(list.status).toBe(200);
    expectSchema('ListModelsResponse', await list.json());
    const one = await call(`/models/${agent.id}`);
    expect(one.status).toBe(200);
    expectSchema('Model', await one.json());
  });

  it('chat completions: the completion, every chunk, and the error frame of a stream that breaks', async () => {
    fake.script({ tokens: ['Hi', ' there'], usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const completion = await call('/chat/completions', {
      model: agent.id,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(completion.status).toBe(200);
    expectSchema('CreateChatCompletionResponse', await completion.json());

    fake.script({ tokens: ['tiered'] });
    const tiered = await call('/chat/completions', {
      model: agent.id,
      messages: [{ role: 'user', content: 'Hello' }],
      service_tier: 'auto',
    });
    expectSchema('CreateChatCompletionResponse', await tiered.json());

    for (const includeUsage of [true, false]) {
      fake.script({ tokens: ['a', 'b', 'c'] });
      const stream = await call('/chat/completions', {
        model: agent.id,
        messages: [{ role: 'user', content: 'Hello' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true }, service_tier: 'priority' } : {}),
      });
      const frames = framesOf(await stream.text());
      expect(frames[frames.length - 1].data).toBe('[DONE]');
      const chunks = frames.slice(0, -1);
      expect(chunks.length).toBeGreaterThan(3);
      for (const frame of chunks) expectSchema('CreateChatCompletionStreamResponse', JSON.parse(frame.data));
    }

    fake.script({ tokens: ['partial'], streamError: { message: 'upstream broke' } });
    const broken = await call('/chat/completions', {
      model: agent.id,
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    const frames = framesOf(await broken.text());
    const last = frames[frames.length - 1];
    for (const frame of frames.slice(0, -1)) expectSchema('CreateChatCompletionStreamResponse', JSON.parse(frame.data));
    expectSchema('ErrorResponse', JSON.parse(last.data));
  });

  it('responses: the object (returned and stored) and every streaming event, completed, incomplete and failed', async () => {
    fake.script({ tokens: ['Bonjour'], usage: { prompt_tokens: 4, completion_tokens: 1 } });
    const created = await call('/responses', { model: agent.id, input: 'Hello', instructions: 'In French.' });
    expect(created.status).toBe(200);
    const response = (await created.json()) as { id: string };
    expectSchema('Response', response);
    const stored = await call(`/responses/${response.id}`);
    expect(stored.status).toBe(200);
    expectSchema('Response', await stored.json());

    // With everything a response echoes of its request.
    fake.script({ tokens: ['echo'] });
    const echoing = await call('/responses', {
      model: agent.id,
      input: [{ role: 'user', content: 'Hello' }],
      metadata: { ticket: 'T-1' },
      user: 'end-user',
      safety_identifier: 'end-user',
      prompt_cache_key: 'faq',
      prompt_cache_retention: '24h',
      service_tier: 'flex',
      text: { verbosity: 'low' },
      reasoning: { effort: 'low', summary: 'auto' },
      truncation: 'disabled',
      tool_choice: 'none',
      parallel_tool_calls: false,
      max_tool_calls: 2,
      top_logprobs: 0,
    });
    expect(echoing.status).toBe(200);
    expectSchema('Response', await echoing.json());

    const scripts = [
      { tokens: ['Hello', ' world'] },
      { tokens: ['cut'], finishReason: 'length' as const },
      { tokens: ['partial'], streamError: { message: 'upstream broke' } },
      { fail: { status: 400, message: 'bad request upstream' } },
    ];
    const terminals: string[] = [];
    for (const script of scripts) {
      fake.script(script);
      const stream = await call('/responses', { model: agent.id, input: 'Hello', stream: true });
      expect(stream.status).toBe(200);
      const frames = framesOf(await stream.text());
      expect(frames.length).toBeGreaterThanOrEqual(3);
      for (const frame of frames) {
        const event = JSON.parse(frame.data) as { type: string };
        expect(frame.event).toBe(event.type);
        expectResponseEvent(event);
      }
      terminals.push((JSON.parse(frames[frames.length - 1].data) as { type: string }).type);
    }
    expect(terminals).toEqual(['response.completed', 'response.incomplete', 'response.failed', 'response.failed']);
  });

  it('errors: 400, 401 and 404 in OpenAI’s envelope', async () => {
    const bad = await call('/chat/completions', { model: agent.id, messages: [] });
    expect(bad.status).toBe(400);
    expectSchema('ErrorResponse', await bad.json());
    const unauthenticated = await call('/models', undefined, 'sk-nope');
    expect(unauthenticated.status).toBe(401);
    expectSchema('ErrorResponse', await unauthenticated.json());
    const missing = await call('/models/agent_doesnotexist000000000');
    expect(missing.status).toBe(404);
    expectSchema('ErrorResponse', await missing.json());
  });
});
