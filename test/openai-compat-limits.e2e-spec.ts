import OpenAI, { APIError, BadRequestError } from 'openai';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from './support/fake-openai';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * What one OpenAI-compatible request may make the service send and store: history is cut to the
 * context budget (CONTEXT_BUDGET_CHARS=1000 here), and a stored response holds only its own turn.
 */
describe('OpenAI-compatible API limits (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let owner: TestUser;
  let client: OpenAI;
  let agent: { id: string };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test', CONTEXT_BUDGET_CHARS: '1000' });
    owner = await createUser(t.http);
    const key = (await t.http.post('/api/api-keys').set(owner.auth).send({ name: 'sdk' }).expect(201)).body
      .key as string;
    client = new OpenAI({ apiKey: key, baseURL: `${t.baseUrl}/api/agents/v1`, maxRetries: 0 });
    agent = await createAgent(t.http, owner, { instructions: 'Be brief.' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const lastRequest = (): RecordedRequest => fake.requests[fake.requests.length - 1];
  const text = (tag: string, n = 250): string => tag.repeat(n);

  async function caught(work: () => Promise<unknown>): Promise<APIError> {
    try {
      await work();
    } catch (err) {
      if (err instanceof APIError) return err;
      throw err;
    }
    throw new Error('expected the SDK to throw');
  }

  describe('the context budget', () => {
    it('sends the provider the newest messages that fit, oldest first dropped, instructions kept', async () => {
      fake.script({ tokens: ['ok'] });
      const completion = await client.chat.completions.create({
        model: agent.id,
        messages: [
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: text('a') },
          { role: 'assistant', content: text('b') },
          { role: 'user', content: text('c') },
          { role: 'assistant', content: text('d') },
          { role: 'user', content: text('e') },
        ],
      });
      expect(completion.choices[0].message.content).toBe('ok');
      // 27 characters of instructions + 5 × 250: the first question and its answer do not fit.
      expect(lastRequest().body?.messages).toEqual([
        { role: 'system', content: 'Be brief.\n\nAnswer in French.' },
        { role: 'user', content: text('c') },
        { role: 'assistant', content: text('d') },
        { role: 'user', content: text('e') },
      ]);
    });

    it('answers 400 context_length_exceeded naming messages when the newest message alone is over it', async () => {
      const before = fake.requests.length;
      const error = await caught(() =>
        client.chat.completions.create({
          model: agent.id,
          messages: [
            { role: 'user', content: 'short' },
            { role: 'user', content: text('x', 992) },
          ],
        }),
      );
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.error).toEqual({
        message: expect.stringContaining('1001') as string,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      });
      expect(fake.requests.length).toBe(before);
    });

    it('answers 400 context_length_exceeded naming input on the Responses API', async () => {
      const error = await caught(() =>
        client.responses.create({ model: agent.id, input: text('x', 992), store: false }),
      );
      expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'input' });
    });
  });
});
