import OpenAI, { APIError, NotFoundError } from 'openai-v7';
import { runAiSdk } from './support/ai-sdk';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from './support/fake-openai';
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
});
