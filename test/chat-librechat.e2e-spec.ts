import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Response } from 'supertest';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { share } from './support/sharing';
import { readSse } from './support/sse';
import { insertStoredFile } from './support/stored-files';
import { startTestApp, type TestApp } from './support/test-app';

/** LibreChat's `Constants.NO_PARENT`. */
const NO_PARENT = '00000000-0000-0000-0000-000000000000';

interface StoredMessage {
  messageId: string;
  parentMessageId: string | null;
  text: string;
  isCreatedByUser: boolean;
}

/**
 * The body LibreChat's web client posts to send a message to an agent: its user message, its
 * endpoint option and the submission flags (client/src/hooks/Chat/useChatFunctions.ts and
 * data-provider's createPayload).
 */
function libreChatBody(agentId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    text: 'Hello there',
    sender: 'User',
    clientTimestamp: '2026-11-29T13:00:00',
    isCreatedByUser: true,
    parentMessageId: NO_PARENT,
    conversationId: null,
    messageId: randomUUID(),
    error: false,
    generation: '',
    responseMessageId: null,
    overrideParentMessageId: null,
    endpoint: 'agents',
    agent_id: agentId,
    key: new Date(Date.now() + 3_600_000).toISOString(),
    isTemporary: false,
    isRegenerate: false,
    editedContent: null,
    isContinued: false,
    ephemeralAgent: { mcp: [], web_search: false, file_search: false, execute_code: false },
    ...overrides,
  };
}

function badFields(res: Response): string[] {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  return (res.body.details as { field: string }[]).map((d) => d.field);
}

/** LibreChat's web front end, as a client of the chat routes. */
describe('chat for LibreChat (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let base: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const send = (u: TestUser, body: Record<string, unknown>) => t.http.post('/api/agents/chat').set(u.auth).send(body);
  const finish = (u: TestUser, streamId: string) => readSse(`${base}/api/agents/chat/stream/${streamId}`, u.auth);
  const messagesOf = async (u: TestUser, conversationId: string): Promise<StoredMessage[]> =>
    (await t.http.get(`/api/messages/${conversationId}`).set(u.auth).expect(200)).body as StoredMessage[];
  const conversationsOf = async (u: TestUser): Promise<unknown[]> =>
    (await t.http.get('/api/convos').set(u.auth).expect(200)).body.data as unknown[];

  describe('POST /api/agents/chat with the body LibreChat sends', () => {
    it('starts a new conversation for conversationId null and the all-zeros parent, keeping the client’s messageId', async () => {
      fake.script({ tokens: ['Hi', '!'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const fileId = await insertStoredFile(t.databaseUrl, me.id, {
        filename: 'a.png',
        mimeType: 'image/png',
        data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      });
      const body = libreChatBody(agent.id, {
        files: [{ file_id: fileId, filepath: '/images/a.png', type: 'image/png', height: 10, width: 20 }],
      });
      const started = await send(me, body).expect(200);
      expect(started.body).toMatchObject({ status: 'started', userMessageId: body.messageId });
      await finish(me, started.body.streamId as string);
      const [question, answer] = await messagesOf(me, started.body.conversationId as string);
      expect(question).toMatchObject({ messageId: body.messageId, parentMessageId: null, text: 'Hello there' });
      expect(answer).toMatchObject({ parentMessageId: body.messageId, text: 'Hi!', isCreatedByUser: false });
    });

    it('continues the conversation under the parent it names, ignoring generation and responseMessageId', async () => {
      fake.script({ tokens: ['first answer'] }, { tokens: ['second answer'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const one = await send(me, libreChatBody(agent.id, { text: 'first question' })).expect(200);
      await finish(me, one.body.streamId as string);
      const conversationId = one.body.conversationId as string;
      const responseId = one.body.responseMessageId as string;

      const two = await send(
        me,
        libreChatBody(agent.id, {
          text: 'second question',
          conversationId,
          parentMessageId: responseId,
          responseMessageId: responseId, // LibreChat sends its latest message's id here
          generation: 'first answer',
          model: 'gpt-4o',
          endpointType: 'agents',
        }),
      ).expect(200);
      expect(two.body.conversationId).toBe(conversationId);
      expect(two.body.responseMessageId).not.toBe(responseId);
      await finish(me, two.body.streamId as string);
      const messages = await messagesOf(me, conversationId);
      expect(messages.map((m) => [m.text, m.parentMessageId])).toEqual([
        ['first question', null],
        ['first answer', one.body.userMessageId],
        ['second question', responseId],
        ['second answer', two.body.userMessageId],
      ]);
      expect(fake.requests[fake.requests.length - 1].body?.messages?.slice(1)).toEqual([
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'second question' },
      ]);
    });

    it('makes a message with the all-zeros parent in an existing conversation a new root, with no history', async () => {
      fake.script({ tokens: ['one'] }, { tokens: ['two'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const one = await send(me, libreChatBody(agent.id, { text: 'first' })).expect(200);
      await finish(me, one.body.streamId as string);
      const conversationId = one.body.conversationId as string;
      const two = await send(me, libreChatBody(agent.id, { text: 'fresh start', conversationId })).expect(200);
      await finish(me, two.body.streamId as string);
      const fresh = (await messagesOf(me, conversationId)).find((m) => m.text === 'fresh start');
      expect(fresh?.parentMessageId).toBeNull();
      expect(fake.requests[fake.requests.length - 1].body?.messages?.slice(1)).toEqual([
        { role: 'user', content: 'fresh start' },
      ]);
    });

    const refused: [string, Record<string, unknown>][] = [
      ['conversationId', { isRegenerate: true }], // regenerating needs the conversation
      ['overrideParentMessageId', { overrideParentMessageId: randomUUID() }],
      ['isEdited', { isEdited: true }],
      ['isContinued', { isContinued: true }],
      ['editedContent', { editedContent: { index: 0, text: 'changed', type: 'text' } }],
      ['isTemporary', { isTemporary: true }],
      ['isCreatedByUser', { isCreatedByUser: false }],
      ['endpoint', { endpoint: 'e'.repeat(65) }],
      ['ephemeralAgent.web_search', { ephemeralAgent: { web_search: 'yes' } }],
      ['addedConvo', { addedConvo: { conversationId: randomUUID() } }],
      ['conversationId', { conversationId: 'not-a-conversation' }],
    ];

    it.each(refused)('refuses %s it cannot honour with 400 naming it, and stores nothing', async (field, overrides) => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const res = await send(me, libreChatBody(agent.id, overrides));
      expect(badFields(res)).toEqual([field]);
      expect(await conversationsOf(me)).toEqual([]);
    });

    it('says what to do instead when refusing to edit an answer through chat', async () => {
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const res = await send(me, libreChatBody(agent.id, { isEdited: true })).expect(400);
      expect(res.body.details).toEqual([
        { field: 'isEdited', message: expect.stringContaining('PUT /api/messages/:conversationId/:messageId') },
      ]);
    });

    it('regenerates with the body LibreChat sends: the question in overrideParentMessageId, its parent in parentMessageId', async () => {
      fake.script({ tokens: ['first answer'] }, { tokens: ['second answer'] }, { tokens: ['second answer, again'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const one = await send(me, libreChatBody(agent.id, { text: 'first question' })).expect(200);
      await finish(me, one.body.streamId as string);
      const conversationId = one.body.conversationId as string;
      const two = await send(
        me,
        libreChatBody(agent.id, {
          text: 'second question',
          conversationId,
          parentMessageId: one.body.responseMessageId,
        }),
      ).expect(200);
      await finish(me, two.body.streamId as string);

      // useChatFunctions' regenerate: ask({...question}, {isRegenerate: true}) with a fresh placeholder
      // messageId, the question's id as overrideParentMessageId and the answer on screen as responseMessageId.
      const body = libreChatBody(agent.id, {
        text: 'second question',
        conversationId,
        parentMessageId: one.body.responseMessageId,
        overrideParentMessageId: two.body.userMessageId,
        responseMessageId: two.body.responseMessageId,
        generation: 'second answer',
        isRegenerate: true,
      });
      const again = await send(me, body).expect(200);
      expect(again.body).toMatchObject({ conversationId, userMessageId: two.body.userMessageId });
      const frames = (await finish(me, again.body.streamId as string)).frames;
      expect(frames[0].data).toMatchObject({ created: true, message: { messageId: two.body.userMessageId } });

      const messages = await messagesOf(me, conversationId);
      expect(messages.map((m) => [m.text, m.parentMessageId])).toEqual([
        ['first question', null],
        ['first answer', one.body.userMessageId],
        ['second question', one.body.responseMessageId],
        ['second answer', two.body.userMessageId],
        ['second answer, again', two.body.userMessageId],
      ]);
      expect(messages.some((m) => m.messageId === body.messageId)).toBe(false); // no new question stored
      expect(fake.requests[fake.requests.length - 1].body?.messages?.slice(1)).toEqual([
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'second question' },
      ]);
    });

    it('still refuses a parent from another conversation', async () => {
      fake.script({ tokens: ['a'] });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const one = await send(me, libreChatBody(agent.id)).expect(200);
      await finish(me, one.body.streamId as string);
      const res = await send(
        me,
        libreChatBody(agent.id, { parentMessageId: randomUUID(), conversationId: one.body.conversationId }),
      );
      expect(badFields(res)).toEqual(['parentMessageId']);
    });
  });

  it('lets a USE-only user chat with an agent whose instructions they cannot read: the worker applies them', async () => {
    fake.script({ tokens: ['Paprika-free answer'] });
    const owner = await createUser(t.http);
    const user = await createUser(t.http);
    const agent = await createAgent(t.http, owner, { instructions: 'The secret sauce is paprika.' });
    await share(t.http, owner, agent.id, { updated: [{ type: 'user', id: user.id, accessRoleId: 'agent_user' }] });
    expect((await t.http.get(`/api/agents/${agent.id}`).set(user.auth).expect(200)).body).not.toHaveProperty(
      'instructions',
    );
    const started = await send(user, libreChatBody(agent.id)).expect(200);
    await finish(user, started.body.streamId as string);
    expect(fake.requests[fake.requests.length - 1].body?.messages?.[0]).toEqual({
      role: 'system',
      content: 'The secret sauce is paprika.',
    });
  });

  describe('GET /api/agents/chat/status/:conversationId', () => {
    const status = async (u: TestUser, conversationId: string) =>
      (await t.http.get(`/api/agents/chat/status/${conversationId}`).set(u.auth).expect(200)).body as Record<
        string,
        unknown
      > & {
        aggregatedContent: { type: string; text?: string; think?: string }[];
        resumeState: Record<string, unknown>;
      };

    it('answers content parts and the resume state of a running generation, like the resume=true sync frame', async () => {
      const tokens = Array.from({ length: 60 }, (_, i) => `s${i} `);
      fake.script({ reasoning: ['Let me', ' think.'], tokens, tokenDelayMs: 20 });
      const me = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const started = await send(me, libreChatBody(agent.id)).expect(200);
      const conversationId = started.body.conversationId as string;
      const url = `${base}/api/agents/chat/stream/${conversationId}`;
      await readSse(url, me.auth, { stopAfter: 8 }); // the run step, the reasoning and some text are out

      const running = await status(me, conversationId);
      expect(Object.keys(running).sort()).toEqual(
        ['active', 'aggregatedContent', 'createdAt', 'resumeState', 'status', 'streamId'].sort(),
      );
      expect(running).toMatchObject({ active: true, status: 'running', streamId: conversationId });
      expect(running.aggregatedContent[0]).toEqual({ type: 'think', think: 'Let me think.' });
      expect(running.aggregatedContent[1]).toMatchObject({ type: 'text', text: expect.stringMatching(/^s0 /) });
      expect(Object.keys(running.resumeState).sort()).toEqual(
        ['aggregatedContent', 'attachments', 'conversationId', 'responseMessageId', 'runSteps', 'userMessage'].sort(),
      );
      expect(running.resumeState).toMatchObject({
        aggregatedContent: running.aggregatedContent,
        conversationId,
        responseMessageId: started.body.responseMessageId,
        userMessage: { messageId: started.body.userMessageId, text: 'Hello there', parentMessageId: null },
        runSteps: [expect.objectContaining({ index: 0, type: 'message_creation' })],
      });

      await readSse(url, me.auth); // to the end
      const done = await status(me, conversationId);
      expect(done).toMatchObject({ active: false, status: 'completed' });
      expect(done.aggregatedContent).toEqual([
        { type: 'think', think: 'Let me think.' },
        { type: 'text', text: tokens.join('') },
      ]);
      const sync = (await readSse(`${url}?resume=true`, me.auth)).frames[0];
      expect(sync.data.sync).toBe(true);
      expect(done.resumeState).toEqual(sync.data.resumeState);
    });

    it('answers {active: false} to a stranger and for an unknown conversation', async () => {
      fake.script({ tokens: ['private'] });
      const me = await createUser(t.http);
      const stranger = await createUser(t.http);
      const agent = await createAgent(t.http, me);
      const started = await send(me, libreChatBody(agent.id)).expect(200);
      await finish(me, started.body.streamId as string);
      expect(await status(stranger, started.body.conversationId as string)).toEqual({ active: false });
      expect(await status(me, randomUUID())).toEqual({ active: false });
    });
  });
});
