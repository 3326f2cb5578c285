import OpenAI from 'openai-v7';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeAnthropic, type FakeAnthropic } from './support/fake-anthropic';
import { startFakeGoogle, type FakeGoogle } from './support/fake-google';
import { readSse, type SseFrame } from './support/sse';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Anthropic and Google agents chat exactly as OpenAI ones: the real app, its worker in process,
 * and stand-ins speaking each vendor's streaming protocol, driven through the official SDKs.
 */
describe('chat with Anthropic and Google agents (e2e)', () => {
  let t: TestApp;
  let anthropic: FakeAnthropic;
  let google: FakeGoogle;
  let me: TestUser;

  beforeAll(async () => {
    [anthropic, google] = await Promise.all([startFakeAnthropic(), startFakeGoogle()]);
    t = await startTestApp({
      ANTHROPIC_BASE_URL: anthropic.baseURL,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      GOOGLE_BASE_URL: google.baseURL,
      GOOGLE_API_KEY: 'g-test',
    });
    me = await createUser(t.http);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([anthropic?.close(), google?.close()]);
  });

  const chat = async (agentId: string, text: string) => {
    const started = (await t.http.post('/api/agents/chat').set(me.auth).send({ agent_id: agentId, text }).expect(200))
      .body as { streamId: string };
    const sse = await readSse(`${t.baseUrl}/api/agents/chat/stream/${started.streamId}`, me.auth);
    return sse.frames;
  };
  const texts = (frames: SseFrame[], event: string, field: 'text' | 'think') =>
    frames
      .filter((f) => f.data.event === event)
      .map((f) => String(f.data.data.delta.content[0][field]))
      .join('');
  const toolOutputs = (frames: SseFrame[]) =>
    frames
      .filter((f) => f.data.event === 'on_run_step_completed')
      .map((f) => String(f.data.data.result.tool_call.output));
  const last = (frames: SseFrame[]) => frames[frames.length - 1].data as Record<string, any>;

  it('lists both providers as configured', async () => {
    const res = await t.http.get('/api/agents/providers').set(me.auth).expect(200);
    const byName = new Map((res.body as { name: string; configured: boolean }[]).map((p) => [p.name, p.configured]));
    expect(byName.get('anthropic')).toBe(true);
    expect(byName.get('google')).toBe(true);
  });

  it('streams a Claude answer with its thinking and runs its tool call', async () => {
    const agent = await createAgent(t.http, me, {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      tools: ['calculator'],
      model_parameters: { thinking_budget: 1024, max_tokens: 2048 },
    });
    anthropic.script(
      {
        thinking: ['Let me ', 'compute.'],
        toolCalls: [{ id: 'toolu_1', name: 'calculator', input: '{"input":"6*7"}' }],
      },
      { tokens: ['It is ', '42.'] },
    );
    const before = anthropic.requests.length;
    const frames = await chat(agent.id, 'What is 6 times 7?');
    expect(texts(frames, 'on_reasoning_delta', 'think')).toBe('Let me compute.');
    expect(toolOutputs(frames)).toEqual(['42']);
    expect(texts(frames, 'on_message_delta', 'text')).toBe('It is 42.');
    expect(last(frames)).toMatchObject({ final: true, responseMessage: { text: 'It is 42.', error: false } });
    const [first, second] = anthropic.requests.slice(before);
    expect(first.body).toMatchObject({
      model: 'claude-sonnet-4-5',
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    expect(JSON.stringify(second.body)).toContain('"tool_result"');
  });

  it('streams a Gemini answer with its thoughts and runs its function call', async () => {
    const agent = await createAgent(t.http, me, {
      provider: 'google',
      model: 'gemini-2.5-flash',
      tools: ['calculator'],
    });
    google.script(
      { thoughts: ['Multiplying.'], functionCalls: [{ id: 'fc_1', name: 'calculator', args: { input: '6*7' } }] },
      { tokens: ['Forty', '-two.'] },
    );
    const before = google.requests.length;
    const frames = await chat(agent.id, 'What is 6 times 7?');
    expect(texts(frames, 'on_reasoning_delta', 'think')).toBe('Multiplying.');
    expect(toolOutputs(frames)).toEqual(['42']);
    expect(last(frames)).toMatchObject({ final: true, responseMessage: { text: 'Forty-two.', error: false } });
    const followUp = google.requests.slice(before)[1];
    expect(JSON.stringify(followUp.body)).toContain('"functionResponse"');
  });

  it('answers through the OpenAI-compatible API for both', async () => {
    const client = new OpenAI({ apiKey: me.token, baseURL: `${t.baseUrl}/api/agents/v1`, maxRetries: 0 });
    const claude = await createAgent(t.http, me, { provider: 'anthropic', model: 'claude-haiku-4-5' });
    const gemini = await createAgent(t.http, me, { provider: 'google', model: 'gemini-2.5-flash' });
    anthropic.script({ tokens: ['Bonjour'] });
    google.script({ tokens: ['Hola'] });
    const fromClaude = await client.chat.completions.create({
      model: claude.id,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(fromClaude.choices[0].message.content).toBe('Bonjour');
    const fromGemini = await client.responses.create({ model: gemini.id, input: 'Hi' });
    expect(fromGemini.output_text).toBe('Hola');
  });

  it('fails a chat on a provider that is not configured, naming the setting', async () => {
    const bare = await startTestApp();
    try {
      const user = await createUser(bare.http);
      const agent = await createAgent(bare.http, user, { provider: 'anthropic', model: 'claude-haiku-4-5' });
      const started = (
        await bare.http.post('/api/agents/chat').set(user.auth).send({ agent_id: agent.id, text: 'Hi' }).expect(200)
      ).body as { streamId: string };
      const sse = await readSse(`${bare.baseUrl}/api/agents/chat/stream/${started.streamId}`, user.auth);
      const end = sse.frames[sse.frames.length - 1];
      expect(end.event).toBe('error');
      expect(JSON.stringify(end.data)).toMatch(/anthropic/i);
    } finally {
      await bare.close();
    }
  });
});
