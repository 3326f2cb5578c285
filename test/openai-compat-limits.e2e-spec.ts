import { randomUUID } from 'node:crypto';
import OpenAI, { APIError, BadRequestError } from 'openai';
import { Client } from 'pg';
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
  let db: Client;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test', CONTEXT_BUDGET_CHARS: '1000' });
    owner = await createUser(t.http);
    const key = (await t.http.post('/api/api-keys').set(owner.auth).send({ name: 'sdk' }).expect(201)).body
      .key as string;
    client = new OpenAI({ apiKey: key, baseURL: `${t.baseUrl}/api/agents/v1`, maxRetries: 0 });
    agent = await createAgent(t.http, owner, { instructions: 'Be brief.' });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
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

  interface StoredRow {
    id: string;
    previous_response_id: string | null;
    messages: unknown[] | null;
    conversation: unknown[] | null;
    chars: number;
    size: number;
  }
  async function stored(ids: string[]): Promise<StoredRow[]> {
    const { rows } = await db.query<StoredRow>(
      `SELECT id, previous_response_id, messages, conversation, chars, octet_length(messages::text) AS size
         FROM responses WHERE id = ANY($1)`,
      [ids],
    );
    return ids.map((id) => rows.find((r) => r.id === id)!);
  }

  describe('previous_response_id chains', () => {
    it('stores each response with its own turn and a link, and rebuilds the conversation along the links', async () => {
      fake.script({ tokens: ['a1'] }, { tokens: ['a2'] }, { tokens: ['a3'] });
      const r1 = await client.responses.create({ model: agent.id, input: 'q1' });
      const r2 = await client.responses.create({ model: agent.id, input: 'q2', previous_response_id: r1.id });
      const r3 = await client.responses.create({
        model: agent.id,
        input: [{ role: 'user', content: 'q3' }],
        previous_response_id: r2.id,
      });
      expect(r3.output_text).toBe('a3');
      expect(lastRequest().body?.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'a1' },
        { role: 'user', content: 'q2' },
        { role: 'assistant', content: 'a2' },
        { role: 'user', content: 'q3' },
      ]);
      const rows = await stored([r1.id, r2.id, r3.id]);
      expect(rows.map((r) => [r.previous_response_id, r.messages, r.conversation, r.chars])).toEqual([
        [
          null,
          [
            { role: 'user', content: 'q1' },
            { role: 'assistant', content: 'a1' },
          ],
          null,
          4,
        ],
        [
          r1.id,
          [
            { role: 'user', content: 'q2' },
            { role: 'assistant', content: 'a2' },
          ],
          null,
          4,
        ],
        [
          r2.id,
          [
            { role: 'user', content: 'q3' },
            { role: 'assistant', content: 'a3' },
          ],
          null,
          4,
        ],
      ]);
    });

    it('stores the same amount for the fifth turn of a chain as for the first, and sends no more than the budget', async () => {
      const turn = (i: number): string => String(i).repeat(300);
      fake.setDefault((body) => ({ tokens: [`answer ${body.messages?.length ?? 0}`] }));
      try {
        const ids: string[] = [];
        let previous: string | undefined;
        for (let i = 1; i <= 5; i++) {
          const response = await client.responses.create({
            model: agent.id,
            input: turn(i),
            ...(previous ? { previous_response_id: previous } : {}),
          });
          ids.push(response.id);
          previous = response.id;
          const sent = lastRequest().body!.messages!.map((m) => String(m.content));
          expect(sent.join('').length).toBeLessThanOrEqual(1000);
          expect(sent[sent.length - 1]).toBe(turn(i));
        }
        const sizes = (await stored(ids)).map((r) => r.size);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(10);
        // The fifth call carried the newest turns that fit (the third and the fourth) and the fifth question.
        expect(
          lastRequest()
            .body?.messages?.slice(1)
            .map((m) => String(m.content).slice(0, 6)),
        ).toEqual([turn(3).slice(0, 6), 'answer', turn(4).slice(0, 6), 'answer', turn(5).slice(0, 6)]);
      } finally {
        fake.setDefault({ tokens: ['Hello', ' world'] });
      }
    });

    it('continues a response stored before chains, which holds its whole conversation', async () => {
      const id = `resp_${randomUUID().replace(/-/g, '')}`;
      const conversation = [
        { role: 'user', content: 'old q1' },
        { role: 'assistant', content: 'old a1' },
        { role: 'user', content: 'old q2' },
        { role: 'assistant', content: 'old a2' },
      ];
      await db.query(
        `INSERT INTO responses (id, user_id, agent_id, status, body, conversation) VALUES ($1, $2, $3, 'completed', $4, $5)`,
        [id, owner.id, agent.id, JSON.stringify({ id, object: 'response' }), JSON.stringify(conversation)],
      );
      fake.script({ tokens: ['new a'] }, { tokens: ['newer a'] });
      const next = await client.responses.create({ model: agent.id, input: 'new q', previous_response_id: id });
      expect(lastRequest().body?.messages?.slice(1)).toEqual([...conversation, { role: 'user', content: 'new q' }]);
      await client.responses.create({ model: agent.id, input: 'newer q', previous_response_id: next.id });
      expect(lastRequest().body?.messages?.slice(1)).toEqual([
        ...conversation,
        { role: 'user', content: 'new q' },
        { role: 'assistant', content: 'new a' },
        { role: 'user', content: 'newer q' },
      ]);
    });

    it('walks only through the caller’s own, unexpired responses', async () => {
      fake.script({ tokens: ['a1'] }, { tokens: ['a2'] }, { tokens: ['a3'] });
      const r1 = await client.responses.create({ model: agent.id, input: 'q1' });
      const r2 = await client.responses.create({ model: agent.id, input: 'q2', previous_response_id: r1.id });
      const stranger = await createUser(t.http);
      await db.query(`UPDATE responses SET user_id = $2 WHERE id = $1`, [r1.id, stranger.id]);
      await client.responses.create({ model: agent.id, input: 'q3', previous_response_id: r2.id });
      expect(lastRequest().body?.messages?.slice(1)).toEqual([
        { role: 'user', content: 'q2' },
        { role: 'assistant', content: 'a2' },
        { role: 'user', content: 'q3' },
      ]);
    });
  });

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

    it('truncation: "auto" (the default) cuts the oldest turns and says so; "disabled" refuses instead', async () => {
      const input: OpenAI.Responses.ResponseInput = [
        { role: 'user', content: text('a') },
        { role: 'assistant', content: text('b') },
        { role: 'user', content: text('c') },
        { role: 'assistant', content: text('d') },
        { role: 'user', content: text('e') },
      ];
      fake.script({ tokens: ['cut'] });
      const cut = await client.responses.create({ model: agent.id, input, store: false });
      expect(cut.truncation).toBe('auto');
      expect(lastRequest().body?.messages).toHaveLength(4);

      const before = fake.requests.length;
      const refused = await caught(() =>
        client.responses.create({ model: agent.id, input, store: false, truncation: 'disabled' }),
      );
      expect(refused).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'input' });
      expect(refused.message).toMatch(/truncation is 'disabled'/);
      expect(fake.requests.length).toBe(before);

      fake.script({ tokens: ['fits'] });
      const fits = await client.responses.create({
        model: agent.id,
        input: input.slice(2),
        store: false,
        truncation: 'disabled',
      });
      expect(fits).toMatchObject({ output_text: 'fits', truncation: 'disabled' });
    });

    it('answers 400 context_length_exceeded naming input on the Responses API', async () => {
      const error = await caught(() =>
        client.responses.create({ model: agent.id, input: text('x', 992), store: false }),
      );
      expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'input' });
    });
  });
});
