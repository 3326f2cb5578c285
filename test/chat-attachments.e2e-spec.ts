import { randomUUID } from 'node:crypto';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from './support/fake-openai';
import { readSse } from './support/sse';
import { conversationOfFile, insertStoredFile } from './support/stored-files';
import { startTestApp, type TestApp } from './support/test-app';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const PNG_URL = `data:image/png;base64,${PNG.toString('base64')}`;

/**
 * Files attached to a chat message, and images in OpenAI-compatible requests, end to end: what the
 * caller may attach, what is stored, and what reaches the provider (the OpenAI stand-in).
 */
describe('chat attachments (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const lastRequest = (): RecordedRequest => fake.requests[fake.requests.length - 1];
  const lastUserContent = (): unknown => {
    const messages = lastRequest().body?.messages ?? [];
    return messages.filter((m) => m.role === 'user').at(-1)?.content;
  };
  const start = (user: TestUser, body: Record<string, unknown>) =>
    t.http.post('/api/agents/chat').set(user.auth).send(body);
  const finish = (user: TestUser, streamId: string) =>
    readSse(`${t.baseUrl}/api/agents/chat/stream/${streamId}`, user.auth);
  const png = (user: TestUser, filename = 'chart.png') =>
    insertStoredFile(t.databaseUrl, user.id, { filename, mimeType: 'image/png', data: PNG });

  const fieldsOf = (body: unknown): string[] => (body as { details: { field: string }[] }).details.map((d) => d.field);

  async function apiKey(user: TestUser): Promise<string> {
    const res = await t.http.post('/api/api-keys').set(user.auth).send({ name: 'attachments' }).expect(201);
    return res.body.key as string;
  }

  describe('POST /api/agents/chat with files', () => {
    it('attaches an owned image: the provider gets it as an image_url data part, the message lists it', async () => {
      fake.script({ tokens: ['A chart.'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const fileId = await png(me);
      const notes = await insertStoredFile(t.databaseUrl, me.id, {
        filename: 'notes.txt',
        mimeType: 'text/plain',
        data: Buffer.from('Q3 revenue: 12'),
      });
      const started = await start(me, {
        agent_id: agent.id,
        text: 'What is in the chart?',
        files: [{ file_id: fileId }, { file_id: notes }],
      }).expect(200);
      const sse = await finish(me, started.body.streamId as string);
      expect(sse.frames[0].data).toMatchObject({
        created: true,
        message: {
          files: [
            { file_id: fileId, filename: 'chart.png' },
            { file_id: notes, filename: 'notes.txt' },
          ],
        },
      });

      expect(lastUserContent()).toEqual([
        { type: 'text', text: 'What is in the chart?\n\nAttached file "notes.txt":\n```\nQ3 revenue: 12\n```' },
        { type: 'image_url', image_url: { url: PNG_URL } },
      ]);
      const conversationId = started.body.conversationId as string;
      const messages = await t.http.get(`/api/messages/${conversationId}`).set(me.auth).expect(200);
      const [question, answer] = messages.body as { files: unknown[] }[];
      expect(question.files).toEqual([
        { file_id: fileId, filename: 'chart.png', type: 'image/png', bytes: PNG.length },
        { file_id: notes, filename: 'notes.txt', type: 'text/plain', bytes: 14 },
      ]);
      expect(answer.files).toEqual([]);
      // The conversation's tools see the files now.
      expect(await conversationOfFile(t.databaseUrl, fileId)).toBe(conversationId);
      expect(await conversationOfFile(t.databaseUrl, notes)).toBe(conversationId);
    });

    it('gives the image again with a follow-up question', async () => {
      fake.script({ tokens: ['A chart.'] }, { tokens: ['Blue.'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const fileId = await png(me);
      const one = await start(me, { agent_id: agent.id, text: 'Look', files: [{ file_id: fileId }] }).expect(200);
      await finish(me, one.body.streamId as string);
      const two = await start(me, {
        agent_id: agent.id,
        text: 'Which colour?',
        conversationId: one.body.conversationId,
      }).expect(200);
      await finish(me, two.body.streamId as string);
      const messages = lastRequest().body?.messages ?? [];
      expect(messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
        [
          { type: 'text', text: 'Look' },
          { type: 'image_url', image_url: { url: PNG_URL } },
        ],
        'Which colour?',
      ]);
    });

    it('refuses a made-up id, another user’s file and more than 10 files, starting nothing', async () => {
      const me = await createUser(t.http);
      const stranger = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const mine = await png(me);
      const theirs = await png(stranger);
      const requestsBefore = fake.requests.length;

      const madeUp = await start(me, {
        agent_id: agent.id,
        text: 'Hi',
        files: [{ file_id: mine }, { file_id: randomUUID() }],
      }).expect(400);
      expect(madeUp.body.details).toEqual([{ field: 'files[1].file_id', message: expect.any(String) }]);

      const foreign = await start(me, { agent_id: agent.id, text: 'Hi', files: [{ file_id: theirs }] }).expect(400);
      expect(foreign.body.details).toEqual([{ field: 'files[0].file_id', message: expect.any(String) }]);
      expect(await conversationOfFile(t.databaseUrl, theirs)).toBeNull();

      const eleven = Array.from({ length: 11 }, () => ({ file_id: mine }));
      const tooMany = await start(me, { agent_id: agent.id, text: 'Hi', files: eleven }).expect(400);
      expect(fieldsOf(tooMany.body)).toEqual(['files']);

      const notUuid = await start(me, { agent_id: agent.id, text: 'Hi', files: [{ file_id: 'file-abc' }] }).expect(400);
      expect(fieldsOf(notUuid.body)).toEqual(['files[0].file_id']);

      expect(fake.requests.length).toBe(requestsBefore);
      expect(await conversationOfFile(t.databaseUrl, mine)).toBeNull();
      const conversations = await t.http.get('/api/convos').set(me.auth).expect(200);
      expect(conversations.body.data).toEqual([]);
    });
  });

  describe('OpenAI-compatible API', () => {
    it('passes a chat-completions data-URL image to the provider as image_url', async () => {
      fake.script({ tokens: ['A tiny image.'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const key = await apiKey(me);
      const res = await fetch(`${t.baseUrl}/api/agents/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: agent.id,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'Describe' },
                { type: 'image_url', image_url: { url: PNG_URL, detail: 'low' } },
              ],
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe(
        'A tiny image.',
      );
      expect(lastUserContent()).toEqual([
        { type: 'text', text: 'Describe' },
        { type: 'image_url', image_url: { url: PNG_URL } },
      ]);
    });

    it('refuses a remote image URL with 400 invalid_value naming it, without calling anything', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const key = await apiKey(me);
      const requestsBefore = fake.requests.length;
      const res = await fetch(`${t.baseUrl}/api/agents/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: agent.id,
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
          ],
        }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { type: 'invalid_request_error', code: 'invalid_value', param: 'messages[0].content[0].image_url.url' },
      });
      expect(fake.requests.length).toBe(requestsBefore);
    });

    it('takes a Responses input_image data URL and an input_image naming an owned file', async () => {
      fake.script({ tokens: ['Two images.'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const key = await apiKey(me);
      const fileId = await png(me);
      const res = await fetch(`${t.baseUrl}/api/agents/v1/responses`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: agent.id,
          input: [
            {
              role: 'user',
              content: [
                { type: 'input_text', text: 'Compare' },
                { type: 'input_image', image_url: PNG_URL },
                { type: 'input_image', file_id: fileId },
              ],
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
      expect(lastUserContent()).toEqual([
        { type: 'text', text: 'Compare' },
        { type: 'image_url', image_url: { url: PNG_URL } },
        { type: 'image_url', image_url: { url: PNG_URL } },
      ]);

      const stranger = await createUser(t.http);
      const theirs = await png(stranger);
      const refused = await fetch(`${t.baseUrl}/api/agents/v1/responses`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: agent.id,
          input: [{ role: 'user', content: [{ type: 'input_image', file_id: theirs }] }],
        }),
      });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        error: { code: 'invalid_value', param: 'input[0].content[0].file_id' },
      });
    });
  });
});
