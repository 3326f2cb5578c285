import OpenAI, { APIError } from 'openai';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeFailure, type FakeOpenAI } from './support/fake-openai';
import { readSse } from './support/sse';
import { startTestApp, type TestApp } from './support/test-app';

/** What a misbehaving upstream (or a proxy in front of it) may put in its error body. */
const SECRET = 'sk-proj-leaked0123456789abcdefLEAKED';
const INTERNAL_HOST = '10.20.30.40';
const ECHO = `Incorrect API key provided: Bearer ${SECRET}, internal host ${INTERNAL_HOST}:8443`;

function expectNoUpstreamText(value: unknown): void {
  const text = JSON.stringify(value);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(INTERNAL_HOST);
  expect(text).not.toMatch(/Incorrect API key|Bearer/);
}

/**
 * A provider that fails and echoes a credential and an internal host in its error body. Whoever
 * may USE the agent reads the failure — over SSE, on the status route, from the OpenAI-compatible
 * API — so they get a clear message of ours with the provider's name, its HTTP status and what to
 * do, never the provider's words; the OpenAI-compatible status says whose fault it was.
 */
describe('provider errors reach users as safe messages (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let me: TestUser;
  let agent: { id: string };
  let sdk: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test' });
    me = await createUser(t.http);
    agent = await createAgent(t.http, me);
    const key = (await t.http.post('/api/api-keys').set(me.auth).send({ name: 'sdk' }).expect(201)).body.key as string;
    sdk = new OpenAI({ apiKey: key, baseURL: `${t.baseUrl}/api/agents/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  /** Queues `failure` for the next generation: once, or for each of the worker's attempts at a retryable status. */
  function failNext(failure: FakeFailure): void {
    const attempts = failure.status === 429 || failure.status >= 500 ? 3 : 1;
    fake.script(...Array.from({ length: attempts }, () => ({ fail: { retryAfter: '0', ...failure } })));
  }

  async function caught(work: () => Promise<unknown>): Promise<APIError> {
    try {
      await work();
    } catch (err) {
      if (err instanceof APIError) return err;
      throw err;
    }
    throw new Error('expected the SDK to throw');
  }

  describe('chat over SSE', () => {
    it('a provider 401 echoing a secret: the error frame, the status and the stored message name the cause, not the echo', async () => {
      failNext({ status: 401, message: ECHO, type: 'invalid_request_error', code: 'invalid_api_key' });
      const started = await t.http
        .post('/api/agents/chat')
        .set(me.auth)
        .send({ agent_id: agent.id, text: 'Hello' })
        .expect(200);
      const sse = await readSse(`${t.baseUrl}/api/agents/chat/stream/${started.body.streamId}`, me.auth);

      const last = sse.frames[sse.frames.length - 1];
      expect(last.event).toBe('error');
      expect(last.data.error).toBe(
        "The openai provider rejected the request's credentials (HTTP 401). Ask an administrator to check the provider's API key.",
      );
      expectNoUpstreamText(sse.frames);
      const status = await t.http
        .get(`/api/agents/chat/status/${started.body.conversationId}`)
        .set(me.auth)
        .expect(200);
      expect(status.body).toMatchObject({ status: 'failed' });
      expectNoUpstreamText(status.body);
      const messages = await t.http.get(`/api/messages/${started.body.conversationId}`).set(me.auth).expect(200);
      expect(messages.body[1]).toMatchObject({ error: true });
      expectNoUpstreamText(messages.body);
    });
  });

  describe('OpenAI-compatible API', () => {
    const ask = (stream: boolean) => ({
      model: agent.id,
      messages: [{ role: 'user' as const, content: 'Hi' }],
      stream,
    });

    it('an upstream 400 (too long) is the caller’s 400 invalid_request_error, not a 500', async () => {
      failNext({ status: 400, message: `This model's maximum context length is 8192 tokens. ${ECHO}` });
      const error = await caught(() => sdk.chat.completions.create(ask(false)));
      expect(error.status).toBe(400);
      expect(error.type).toBe('invalid_request_error');
      expect(error.message).toMatch(
        /openai provider refused the request \(HTTP 400\): the conversation may be too long/,
      );
      expectNoUpstreamText({ message: error.message, body: error.error });

      failNext({ status: 400, message: `context_length_exceeded ${ECHO}`, code: 'context_length_exceeded' });
      const responses = await caught(() => sdk.responses.create({ model: agent.id, input: 'Hi' }));
      expect(responses.status).toBe(400);
      expectNoUpstreamText({ message: responses.message, body: responses.error });
    });

    it('an upstream 5xx is a 502 server_error with a safe body', async () => {
      failNext({ status: 500, message: ECHO });
      const error = await caught(() => sdk.chat.completions.create(ask(false)));
      expect(error.status).toBe(502);
      expect(error.type).toBe('server_error');
      expect(error.message).toBe('502 The openai provider is unavailable (HTTP 500); try again shortly.');
      expectNoUpstreamText({ message: error.message, body: error.error });
    });

    it('an upstream 401 is a 502 (our credentials, not the caller’s) with a safe body, streaming or not', async () => {
      failNext({ status: 401, message: ECHO, code: 'invalid_api_key' });
      const plain = await caught(() => sdk.chat.completions.create(ask(false)));
      expect(plain.status).toBe(502);
      expect(plain.message).toMatch(/rejected the request's credentials \(HTTP 401\)/);
      expectNoUpstreamText({ message: plain.message, body: plain.error });

      failNext({ status: 401, message: ECHO, code: 'invalid_api_key' });
      const streamed = await caught(() => sdk.chat.completions.create(ask(true)));
      expect(streamed.status).toBe(502);
      expectNoUpstreamText({ message: streamed.message, body: streamed.error });
    });

    it('a stream that fails after it began ends with an error event without the upstream words', async () => {
      fake.script({ tokens: ['partial'], streamError: { message: ECHO } });
      const raw = await fetch(`${t.baseUrl}/api/agents/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${sdk.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(ask(true)),
      });
      const frames = (await raw.text()).split('\n\n').filter((f) => f.startsWith('data: '));
      const last = JSON.parse(frames[frames.length - 1].slice(6)) as { error: { message: string; type: string } };
      expect(last.error).toMatchObject({ type: 'server_error' });
      expect(last.error.message).toMatch(/openai provider broke off its answer/);
      expectNoUpstreamText(frames);
    });
  });
});
