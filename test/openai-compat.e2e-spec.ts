import { createHash } from 'node:crypto';
import OpenAI, {
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  APIError,
} from 'openai';
import { Client } from 'pg';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from './support/fake-openai';
import { share } from './support/sharing';
import { startTestApp, type TestApp } from './support/test-app';
import { ResponsesJanitor } from '@agents/openai-compat';

/**
 * The OpenAI-compatible API driven by the official `openai` SDK, as its users would, against the
 * in-process app (in-process queue and event bus) with the fake OpenAI server behind the agents.
 */
describe('OpenAI-compatible API (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let db: Client;
  let owner: TestUser;
  let ownerKey: string;
  let agent: { id: string; version: number };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test' });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    owner = await createUser(t.http);
    ownerKey = await newKey(owner);
    agent = await createAgent(t.http, owner, {
      instructions: 'Be brief.',
      model_parameters: { temperature: 0.9, max_tokens: 300 },
    });
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
    await fake?.close();
  });

  async function newKey(user: TestUser, body: Record<string, unknown> = { name: 'sdk' }): Promise<string> {
    const res = await t.http.post('/api/api-keys').set(user.auth).send(body).expect(201);
    return res.body.key as string;
  }

  const sdk = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${t.baseUrl}/api/agents/v1`, maxRetries: 0 });
  const lastRequest = (): RecordedRequest => fake.requests[fake.requests.length - 1];

  async function caught(work: () => Promise<unknown>): Promise<APIError> {
    try {
      await work();
    } catch (err) {
      if (err instanceof APIError) return err;
      throw err;
    }
    throw new Error('expected the SDK to throw');
  }

  async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  describe('models', () => {
    it('lists exactly the agents the caller may USE, as OpenAI model objects', async () => {
      const me = await createUser(t.http);
      const key = await newKey(me);
      const mine = await createAgent(t.http, me, { name: 'Mine', description: 'My own' });
      const usable = await createAgent(t.http, owner, { name: 'Shared to use' });
      const viewOnly = await createAgent(t.http, owner, { name: 'View only' });
      await share(t.http, owner, usable.id, { updated: [{ type: 'user', id: me.id, accessRoleId: 'agent_user' }] });
      await share(t.http, owner, viewOnly.id, { updated: [{ type: 'user', id: me.id, accessRoleId: 'agent_viewer' }] });

      const models = await sdk(key).models.list();
      const ids = models.data.map((m) => m.id);
      expect(ids.sort()).toEqual([mine.id, usable.id].sort());
      const model = models.data.find((m) => m.id === mine.id)!;
      expect(model).toEqual({
        id: mine.id,
        object: 'model',
        created: expect.any(Number) as number,
        owned_by: me.id,
        name: 'Mine',
        description: 'My own',
      });
      expect(Math.abs(model.created - Date.now() / 1000)).toBeLessThan(60);

      expect((await sdk(key).models.retrieve(usable.id)).id).toBe(usable.id);
      const hidden = await caught(() => sdk(key).models.retrieve(viewOnly.id));
      expect(hidden).toBeInstanceOf(NotFoundError);
      expect(hidden.code).toBe('model_not_found');
    });
  });

  describe('chat completions', () => {
    it('answers with the stand-in text and usage, the agent instructions first and the system message appended', async () => {
      fake.script({ tokens: ['The', ' answer', ' is 42.'], usage: { prompt_tokens: 17, completion_tokens: 3 } });
      const completion = await sdk(ownerKey).chat.completions.create({
        model: agent.id,
        messages: [
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: 'What is 6 x 7?' },
          { role: 'assistant', content: 'Let me think.' },
          { role: 'user', content: [{ type: 'text', text: 'Go on.' }] },
        ],
        temperature: 0.2,
      });
      expect(completion).toMatchObject({
        object: 'chat.completion',
        model: agent.id,
        choices: [{ index: 0, message: { role: 'assistant', content: 'The answer is 42.' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 17, completion_tokens: 3, total_tokens: 20 },
      });
      expect(completion.id).toMatch(/^chatcmpl-/);
      const sent = lastRequest().body!;
      expect(sent.messages).toEqual([
        { role: 'system', content: 'Be brief.\n\nAnswer in French.' },
        { role: 'user', content: 'What is 6 x 7?' },
        { role: 'assistant', content: 'Let me think.' },
        { role: 'user', content: 'Go on.' },
      ]);
      expect(sent.model).toBe('gpt-4o');
      expect(sent.temperature).toBe(0.2); // the request's, over the agent's 0.9
    });

    it('keeps the agent parameters a request does not override', async () => {
      fake.script({ tokens: ['ok'] });
      await sdk(ownerKey).chat.completions.create({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }] });
      expect(lastRequest().body!.temperature).toBe(0.9);
    });

    it('streams chunks exactly as OpenAI does: role first, deltas, finish reason, usage just before [DONE]', async () => {
      const tokens = ['Once', ' upon', ' a', ' time', '.'];
      fake.script({ tokens, usage: { prompt_tokens: 9, completion_tokens: 5 } });
      const stream = await sdk(ownerKey).chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: 'Tell me a story' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(text).toBe(tokens.join(''));
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
      expect(chunks.every((c) => c.model === agent.id && c.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      const usage = chunks[chunks.length - 1];
      expect(usage.choices).toEqual([]);
      expect(usage.usage).toEqual({
        prompt_tokens: 9,
        completion_tokens: 5,
        total_tokens: 14,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      });
      const finish = chunks[chunks.length - 2];
      expect(finish.choices[0].finish_reason).toBe('stop');
      expect(chunks.slice(0, -2).every((c) => c.choices[0].finish_reason === null)).toBe(true);
      expect(chunks.filter((c) => c.choices.length === 0)).toHaveLength(1);
    });

    it('frames the stream as data lines ending in [DONE], without a usage chunk unless asked', async () => {
      fake.script({ tokens: ['a', 'b'] });
      const res = await fetch(`${t.baseUrl}/api/agents/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ownerKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const body = await res.text();
      expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
      const frames = body
        .split('\n\n')
        .filter((f) => f.startsWith('data: ') && f !== 'data: [DONE]')
        .map((f) => JSON.parse(f.slice(6)) as { choices: unknown[]; usage?: unknown });
      expect(frames.every((f) => f.choices.length === 1 && f.usage === undefined)).toBe(true);
    });

    it('ends a stream that fails after it began with one error event and no [DONE] (the SDK throws)', async () => {
      fake.script({ tokens: ['partial', ' answer'], streamError: { message: 'the model fell over' } });
      const stream = await sdk(ownerKey).chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      let text = '';
      const error = await caught(async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      });
      expect(text).toBe('partial answer');
      // Our words, never the provider's (they can echo credentials or internal hosts).
      expect(error.message).toMatch(/openai provider broke off its answer/);
      expect(error.message).not.toMatch(/the model fell over/);

      fake.script({ tokens: ['x', 'y'], streamError: { message: 'again' } });
      const raw = await fetch(`${t.baseUrl}/api/agents/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ownerKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }], stream: true }),
      });
      const frames = (await raw.text()).split('\n\n').filter((f) => f.startsWith('data: '));
      expect(frames.filter((f) => f.includes('"error"'))).toHaveLength(1);
      expect(JSON.parse(frames[frames.length - 1].slice(6))).toMatchObject({
        error: { message: expect.stringMatching(/broke off its answer/) as string, type: 'server_error' },
      });
      expect(frames).not.toContain('data: [DONE]');
    });

    it('answers a failure before the first token with a non-2xx envelope', async () => {
      fake.script({ fail: { status: 400, message: 'model does not exist' } });
      const error = await caught(() =>
        sdk(ownerKey).chat.completions.create({
          model: agent.id,
          messages: [{ role: 'user', content: 'Hi' }],
          stream: true,
        }),
      );
      // The provider refused this request: the caller's 400, in our words.
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/openai provider refused the request \(HTTP 400\)/);
      expect(error.message).not.toMatch(/model does not exist/);
    });

    it('aborts the generation when the client disconnects mid-stream: the stand-in sees its connection closed', async () => {
      fake.script({ tokens: Array.from({ length: 100 }, (_, i) => `w${i} `), tokenDelayMs: 20 });
      const stream = await sdk(ownerKey).chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: 'Count slowly' }],
        stream: true,
      });
      const record = lastRequest();
      let seen = 0;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) seen += 1;
        if (seen === 3) break; // leaving the loop aborts the SDK's request
      }
      await until(() => record.closedByClient, 'the provider connection to close');
      expect(record.tokensSent).toBeLessThan(100);
    });

    it('aborts a non-streaming generation whose client gave up', async () => {
      fake.script({ tokens: Array.from({ length: 100 }, (_, i) => `w${i} `), tokenDelayMs: 20 });
      const controller = new AbortController();
      const pending = sdk(ownerKey).chat.completions.create(
        { model: agent.id, messages: [{ role: 'user', content: 'Count slowly' }] },
        { signal: controller.signal },
      );
      const before = fake.requests.length;
      await until(() => fake.requests.length > before && lastRequest().tokensSent >= 2, 'tokens to flow');
      const record = lastRequest();
      controller.abort();
      await expect(pending).rejects.toThrow();
      await until(() => record.closedByClient, 'the provider connection to close');
    });
  });

  describe('errors in OpenAI’s envelope', () => {
    it('401 for a bad key, no credentials, an expired key and a deleted key', async () => {
      const bad = await caught(() => sdk(`sk-${'0'.repeat(64)}`).models.list());
      expect(bad).toBeInstanceOf(AuthenticationError);
      expect(bad).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });

      const anonymous = await fetch(`${t.baseUrl}/api/agents/v1/models`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toEqual({
        error: {
          message: expect.any(String) as string,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
          param: null,
        },
      });

      const me = await createUser(t.http);
      const expiring = await newKey(me);
      await sdk(expiring).models.list();
      await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE key_hash = $1`, [
        createHash('sha256').update(expiring).digest('hex'),
      ]);
      expect(await caught(() => sdk(expiring).models.list())).toBeInstanceOf(AuthenticationError);

      const doomed = await newKey(me);
      await sdk(doomed).models.list();
      const listed = await t.http.get('/api/api-keys').set(me.auth).expect(200);
      const id = (listed.body.data as { id: string; keyPrefix: string }[]).find((k) =>
        doomed.startsWith(k.keyPrefix),
      )!.id;
      await t.http.delete(`/api/api-keys/${id}`).set(me.auth).expect(204);
      const deleted = await caught(() =>
        sdk(doomed).chat.completions.create({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }] }),
      );
      expect(deleted).toBeInstanceOf(AuthenticationError);
    });

    it('stores only the key hash, never the key', async () => {
      const hash = createHash('sha256').update(ownerKey).digest('hex');
      const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM api_keys WHERE key_hash = $1`, [hash]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows[0])).not.toContain(ownerKey.slice(3));
    });

    it('403 permission_error for a key whose user may see the agent but not USE it; 404 for an unknown model', async () => {
      const viewer = await createUser(t.http);
      const key = await newKey(viewer);
      await share(t.http, owner, agent.id, {
        updated: [{ type: 'user', id: viewer.id, accessRoleId: 'agent_viewer' }],
      });
      const denied = await caught(() =>
        sdk(key).chat.completions.create({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }] }),
      );
      expect(denied).toBeInstanceOf(PermissionDeniedError);
      expect(denied).toMatchObject({ status: 403, code: 'permission_error', type: 'permission_error' });

      const unknown = await caught(() =>
        sdk(key).chat.completions.create({
          model: 'agent_doesnotexist000000000',
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      );
      expect(unknown).toBeInstanceOf(NotFoundError);
      expect(unknown).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    });

    it('denies the next request once the USE grant is revoked', async () => {
      const user = await createUser(t.http);
      const key = await newKey(user);
      await share(t.http, owner, agent.id, { updated: [{ type: 'user', id: user.id, accessRoleId: 'agent_user' }] });
      fake.script({ tokens: ['allowed'] });
      const ok = await sdk(key).chat.completions.create({
        model: agent.id,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(ok.choices[0].message.content).toBe('allowed');
      await share(t.http, owner, agent.id, { removed: [{ type: 'user', id: user.id }] });
      const denied = await caught(() =>
        sdk(key).chat.completions.create({ model: agent.id, messages: [{ role: 'user', content: 'Hi' }] }),
      );
      expect(denied).toBeInstanceOf(NotFoundError);
      expect(denied.code).toBe('model_not_found');
    });

    it('400 naming the parameter: n > 1, an unknown field, a bad role, a bad type, a missing field', async () => {
      const client = sdk(ownerKey);
      const base = { model: agent.id, messages: [{ role: 'user' as const, content: 'Hi' }] };
      const n = await caught(() => client.chat.completions.create({ ...base, n: 2 }));
      expect(n).toBeInstanceOf(BadRequestError);
      expect(n).toMatchObject({
        status: 400,
        param: 'n',
        code: 'unsupported_parameter',
        type: 'invalid_request_error',
      });

      const unknown = await caught(() =>
        client.chat.completions.create({
          ...base,
          frobnicate: true,
        } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming),
      );
      expect(unknown).toMatchObject({ status: 400, param: 'frobnicate', code: 'unknown_parameter' });
      expect(unknown.message).toMatch(/Unrecognized request argument supplied: frobnicate/);

      const role = await caught(() =>
        client.chat.completions.create({
          ...base,
          messages: [{ role: 'tool', content: 'x', tool_call_id: 'c1' }],
        }),
      );
      expect(role).toMatchObject({ status: 400, param: 'messages[0].role' });

      const type = await caught(() =>
        client.chat.completions.create({ ...base, temperature: 'hot' as unknown as number }),
      );
      expect(type).toMatchObject({ status: 400, param: 'temperature', code: 'invalid_type' });

      const range = await caught(() => client.chat.completions.create({ ...base, temperature: 3 }));
      expect(range).toMatchObject({ status: 400, param: 'temperature', code: 'invalid_value' });

      const tools = await caught(() =>
        client.chat.completions.create({
          ...base,
          tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
        }),
      );
      expect(tools).toMatchObject({ status: 400, param: 'tools', code: 'unsupported_parameter' });

      const missing = await caught(() =>
        client.chat.completions.create({ model: agent.id } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming),
      );
      expect(missing).toMatchObject({ status: 400, param: 'messages', code: 'missing_required_parameter' });
    });

    it('400 in the envelope for a body that is not JSON', async () => {
      const res = await fetch(`${t.baseUrl}/api/agents/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ownerKey}`, 'Content-Type': 'application/json' },
        body: '{"model": ',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null } });
    });
  });

  describe('responses', () => {
    it('streams typed events with increasing sequence numbers, then continues with previous_response_id', async () => {
      const tokens = ['Bonjour', ' le', ' monde'];
      fake.script({ tokens, usage: { prompt_tokens: 6, completion_tokens: 3 } });
      const client = sdk(ownerKey);
      const stream = await client.responses.create({
        model: agent.id,
        input: 'Say hello',
        instructions: 'Answer in French.',
        stream: true,
      });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);

      const types = events.map((e) => e.type);
      expect(types.slice(0, 4)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
      ]);
      expect(types.slice(-4)).toEqual([
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      const deltas = events.filter(
        (e): e is OpenAI.Responses.ResponseTextDeltaEvent => e.type === 'response.output_text.delta',
      );
      expect(deltas.map((d) => d.delta)).toEqual(tokens);
      const completed = events[events.length - 1] as OpenAI.Responses.ResponseCompletedEvent;
      expect(completed.response).toMatchObject({
        status: 'completed',
        model: agent.id,
        usage: { input_tokens: 6, output_tokens: 3, total_tokens: 9 },
        output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: tokens.join('') }] }],
      });
      expect(lastRequest().body!.messages).toEqual([
        { role: 'system', content: 'Be brief.\n\nAnswer in French.' },
        { role: 'user', content: 'Say hello' },
      ]);

      // Stored before response.completed went out: readable at once, and continuable.
      const stored = await client.responses.retrieve(completed.response.id);
      expect(stored.output_text).toBe(tokens.join(''));
      fake.script({ tokens: ['Au revoir'] });
      const next = await client.responses.create({
        model: agent.id,
        input: [{ role: 'user', content: 'Now say goodbye' }],
        previous_response_id: completed.response.id,
      });
      expect(next.output_text).toBe('Au revoir');
      expect(next.previous_response_id).toBe(completed.response.id);
      expect(lastRequest().body!.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
        { role: 'assistant', content: tokens.join('') },
        { role: 'user', content: 'Now say goodbye' },
      ]);
    });

    it('hides a stored response from another user: GET and previous_response_id are 404', async () => {
      fake.script({ tokens: ['secret'] });
      const mine = await sdk(ownerKey).responses.create({ model: agent.id, input: 'Hi' });
      const stranger = await createUser(t.http);
      const key = await newKey(stranger);
      const strangerAgent = await createAgent(t.http, stranger);
      const read = await caught(() => sdk(key).responses.retrieve(mine.id));
      expect(read).toBeInstanceOf(NotFoundError);
      const continued = await caught(() =>
        sdk(key).responses.create({ model: strangerAgent.id, input: 'More', previous_response_id: mine.id }),
      );
      expect(continued).toMatchObject({ status: 404, param: 'previous_response_id' });
    });

    it('forgets a stored response after RESPONSES_RETENTION_DAYS (30): GET is 404, the janitor deletes it', async () => {
      fake.script({ tokens: ['old'] }, { tokens: ['new'] });
      const old = await sdk(ownerKey).responses.create({ model: agent.id, input: 'Hi' });
      const fresh = await sdk(ownerKey).responses.create({ model: agent.id, input: 'Hi again' });
      await db.query(`UPDATE responses SET created_at = now() - interval '31 days' WHERE id = $1`, [old.id]);
      expect(await caught(() => sdk(ownerKey).responses.retrieve(old.id))).toBeInstanceOf(NotFoundError);
      expect((await sdk(ownerKey).responses.retrieve(fresh.id)).id).toBe(fresh.id);

      expect(await t.app.get(ResponsesJanitor).purge()).toBe(1);
      const left = await db.query<{ id: string }>(`SELECT id FROM responses WHERE id = ANY($1)`, [[old.id, fresh.id]]);
      expect(left.rows.map((r) => r.id)).toEqual([fresh.id]);
    });

    it('does not store with store: false', async () => {
      fake.script({ tokens: ['ephemeral'] });
      const response = await sdk(ownerKey).responses.create({ model: agent.id, input: 'Hi', store: false });
      expect(response.output_text).toBe('ephemeral');
      expect(await caught(() => sdk(ownerKey).responses.retrieve(response.id))).toBeInstanceOf(NotFoundError);
    });
  });

  it('documents every route in Swagger with the API-key and JWT security schemes', async () => {
    const doc = (await t.http.get('/api/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: Record<string, unknown>[]; requestBody?: unknown }>>;
    };
    const routes = [
      ['/api/agents/v1/models', 'get'],
      ['/api/agents/v1/models/{id}', 'get'],
      ['/api/agents/v1/chat/completions', 'post'],
      ['/api/agents/v1/responses', 'post'],
      ['/api/agents/v1/responses/{id}', 'get'],
    ];
    for (const [path, method] of routes) {
      const operation = doc.paths[path]?.[method];
      expect(operation).toBeDefined();
      expect(operation.security).toEqual(expect.arrayContaining([{ 'api-key': [] }, { bearer: [] }]));
    }
    expect(JSON.stringify(doc.paths['/api/agents/v1/chat/completions'].post.requestBody)).toContain(
      'ChatCompletionRequestDto',
    );
  });

  describe('rate limit', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await startTestApp({
        OPENAI_BASE_URL: fake.baseURL,
        OPENAI_API_KEY: 'sk-test',
        OPENAI_COMPAT_RATE_LIMIT: '2',
      });
    });
    afterAll(() => limited?.close());

    it('answers 429 rate_limit_exceeded with Retry-After past the per-key limit, counting each key apart', async () => {
      const user = await createUser(limited.http);
      const keys: string[] = [];
      for (const name of ['one', 'two']) {
        keys.push(
          (await limited.http.post('/api/api-keys').set(user.auth).send({ name }).expect(201)).body.key as string,
        );
      }
      const client = (key: string) =>
        new OpenAI({ apiKey: key, baseURL: `${limited.baseUrl}/api/agents/v1`, maxRetries: 0 });
      await client(keys[0]).models.list();
      await client(keys[0]).models.list();
      const error = await caught(() => client(keys[0]).models.list());
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
      expect(Number(error.headers?.get('retry-after'))).toBeGreaterThan(0);
      await client(keys[1]).models.list(); // another key has its own window
    });
  });
});
