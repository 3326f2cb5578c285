import type { Response } from 'supertest';
import { MAX_INPUT_DEPTH } from '@agents/core';
import { agentInput, createAgent, createUser, userInput, type TestUser } from './support/factories';
import { startTestApp, type TestApp } from './support/test-app';

const TEXT_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

/** The bad text a client can send in JSON: a NUL, and each half of a surrogate pair alone. */
const BAD_TEXT: [string, string][] = [
  ['a NUL character', 'before\u0000after'],
  ['a lone high surrogate', 'before\ud800after'],
  ['a lone low surrogate', '\udc00after'],
];

/** `{a: {a: … 1}}`, `depth` objects deep. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** A 400 in the error shape of docs/http-api.md § Errors naming exactly `field`. */
function expectFieldRefused(res: Response, field: string, message = TEXT_MESSAGE): void {
  expect({ status: res.status, body: res.body as unknown }).toEqual({
    status: 400,
    body: { error: 'Bad Request', message: expect.any(String), details: [{ field, message }] },
  });
}

/** A 400 in OpenAI's envelope naming `param`. */
function expectParamRefused(res: Response, param: string): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({
    error: { message: expect.any(String), type: 'invalid_request_error', code: 'invalid_value', param },
  });
}

describe('text that cannot be stored, and bodies nested too deeply (e2e)', () => {
  let t: TestApp;
  let me: TestUser;
  let agent: { id: string };

  beforeAll(async () => {
    t = await startTestApp();
    me = await createUser(t.http);
    agent = await createAgent(t.http, me);
  });
  afterAll(() => t.close());

  describe.each(BAD_TEXT)('with %s', (_label, bad) => {
    it('POST /api/auth/login answers 400 naming the field', async () => {
      expectFieldRefused(
        await t.http.post('/api/auth/login').send({ email: bad, password: 'whatever it is' }),
        'email',
      );
      expectFieldRefused(await t.http.post('/api/auth/login').send({ email: me.email, password: bad }), 'password');
    });

    it('POST /api/auth/register answers 400 naming the field and creates nobody', async () => {
      const input = userInput({ name: bad });
      expectFieldRefused(await t.http.post('/api/auth/register').send(input), 'name');
      await t.http
        .post('/api/auth/register')
        .send({ ...input, name: 'Fine' })
        .expect(201);
    });

    it('POST and PATCH /api/agents answer 400 naming the field, nested ones included', async () => {
      const create = (overrides: Record<string, unknown>) =>
        t.http.post('/api/agents').set(me.auth).send(agentInput(overrides));
      expectFieldRefused(await create({ name: bad }), 'name');
      expectFieldRefused(await create({ conversation_starters: ['fine', bad] }), 'conversation_starters[1]');
      expectFieldRefused(await create({ model_parameters: { stop: [bad] } }), 'model_parameters.stop[0]');
      expectFieldRefused(
        await t.http.patch(`/api/agents/${agent.id}`).set(me.auth).send({ instructions: bad }),
        'instructions',
      );
    });

    it('POST /api/agents/v1/chat/completions answers 400 in OpenAI’s envelope naming the param', async () => {
      const res = await t.http
        .post('/api/agents/v1/chat/completions')
        .set(me.auth)
        .send({ model: agent.id, messages: [{ role: 'user', content: bad }] });
      expectParamRefused(res, 'messages[0].content');
    });
  });

  it('refuses a field name with a NUL, without echoing it', async () => {
    const res = await t.http
      .post('/api/agents')
      .set(me.auth)
      .send(agentInput({ model_parameters: { 'x\u0000y': 1 } }));
    expectFieldRefused(res, 'model_parameters.x\ufffdy', `field names ${TEXT_MESSAGE}`);
    expect(JSON.stringify(res.body)).not.toContain('\\u0000');
  });

  it('refuses NUL in a query string and in a path segment', async () => {
    expectFieldRefused(await t.http.get('/api/agents?search=a%00b').set(me.auth), 'search');
    expectFieldRefused(await t.http.get('/api/agents/agent_%00').set(me.auth), 'path');
    expectFieldRefused(await t.http.get('/api/convos/%00').set(me.auth), 'path');
    const res = await t.http.get(`/api/agents/v1/models?x=%00`).set(me.auth);
    expectParamRefused(res, 'x');
  });

  describe('a body nested 3,000 levels deep', () => {
    const deep = nested(3000);
    const deepPath = (root: string, below: number) => `${root}${'.a'.repeat(below)}`;
    const DEPTH_MESSAGE = `nests objects or arrays deeper than ${MAX_INPUT_DEPTH} levels`;

    it('answers 400 on login and register, naming where the limit was crossed', async () => {
      expectFieldRefused(
        await t.http.post('/api/auth/login').send({ email: deep, password: 'x' }),
        deepPath('email', MAX_INPUT_DEPTH - 1),
        DEPTH_MESSAGE,
      );
      expectFieldRefused(
        await t.http.post('/api/auth/register').send({ ...userInput(), name: deep }),
        deepPath('name', MAX_INPUT_DEPTH - 1),
        DEPTH_MESSAGE,
      );
    });

    it('answers 400 on agent create', async () => {
      expectFieldRefused(
        await t.http
          .post('/api/agents')
          .set(me.auth)
          .send(agentInput({ model_parameters: deep })),
        deepPath('model_parameters', MAX_INPUT_DEPTH - 1),
        DEPTH_MESSAGE,
      );
    });

    it('answers 400 on chat completions, in OpenAI’s envelope', async () => {
      const res = await t.http
        .post('/api/agents/v1/chat/completions')
        .set(me.auth)
        .send({ model: agent.id, messages: [{ role: 'user', content: deep }] });
      expectParamRefused(res, deepPath('messages[0].content', MAX_INPUT_DEPTH - 3));
    });

    it(`still accepts ordinary nesting (a body ${MAX_INPUT_DEPTH} levels deep reaches validation)`, async () => {
      const res = await t.http
        .post('/api/agents')
        .set(me.auth)
        .send(agentInput({ model_parameters: nested(MAX_INPUT_DEPTH - 1) }));
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([{ field: 'model_parameters.a', message: expect.any(String) }]);
    });
  });

  it('keeps accepting text with paired surrogates (emoji) and other control characters', async () => {
    const created = await createAgent(t.http, me, { name: 'Bot \ud83e\udd16', description: 'tab\there' });
    expect(created).toMatchObject({ name: 'Bot \ud83e\udd16', description: 'tab\there' });
  });
});
