import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createAgent, createUser, uploadFile, type TestUser } from './factories';
import type { FakeOpenAI } from './fake-openai';
import { share } from './sharing';
import { readSse, type SseFrame } from './sse';

/** What the conversation management cases run against. */
export interface ConversationManageTarget {
  api: string;
  fake: FakeOpenAI;
  /** Runs SQL on the deployment's database, where a test can reach it (the distributed mode's PostgreSQL). */
  sql?: (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;
}

/** The export limit the cases' processes run with: a conversation of five turns is over it. */
export const CONVERSATION_MANAGE_ENV = { EXPORT_MAX_MESSAGES: '8' };

/** A message as `GET /api/messages/:conversationId` answers it (the fields the cases read). */
interface Message {
  messageId: string;
  parentMessageId: string | null;
  conversationId: string;
  text: string;
  edited: boolean;
  feedback: Record<string, unknown> | null;
  [field: string]: unknown;
}

interface Started {
  streamId: string;
  conversationId: string;
  userMessageId: string;
  responseMessageId: string;
}

const fields = (body: { details?: { field: string }[] }) => (body.details ?? []).map((d) => d.field);
const ids = (body: { data: { conversationId: string }[] }) => body.data.map((c) => c.conversationId);
const texts = (messages: { text: string }[]) => messages.map((m) => m.text);
const terminals = (frames: SseFrame[]) => frames.filter((f) => f.data.final === true || f.event === 'error');
const deltas = (frames: SseFrame[]) => frames.filter((f) => f.data.event === 'on_message_delta');

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Conversations their users manage (docs/http-api.md § Conversations), through the built processes:
 * rename, archive and list; delete one or all, also while an answer streams; export; fork; edit an
 * answer; rate answers. Every route answers another user's ids with a bare 404.
 */
export function conversationManageCases(target: () => ConversationManageTarget): void {
  const http = () => request(target().api);

  const chat = async (
    user: TestUser,
    agentId: string,
    text: string,
    options: { conversationId?: string; parentMessageId?: string; files?: string[]; idempotencyKey?: string } = {},
  ): Promise<Started> => {
    const req = http().post('/api/agents/chat').set(user.auth);
    if (options.idempotencyKey) req.set('Idempotency-Key', options.idempotencyKey);
    const res = await req
      .send({
        agent_id: agentId,
        text,
        ...(options.conversationId ? { conversationId: options.conversationId } : {}),
        ...(options.parentMessageId ? { parentMessageId: options.parentMessageId } : {}),
        ...(options.files ? { files: options.files.map((file_id) => ({ file_id })) } : {}),
      })
      .expect(200);
    const sse = await readSse(`${target().api}/api/agents/chat/stream/${res.body.streamId}`, user.auth);
    expect(sse.frames[sse.frames.length - 1].data).toMatchObject({ final: true });
    return res.body as Started;
  };
  const answer = (text: string) => target().fake.script({ tokens: [text] });
  const newUserWithAgent = async (overrides: Record<string, unknown> = {}) => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, overrides);
    return { me, agent };
  };
  const list = async (user: TestUser, query: Record<string, string> = {}) =>
    (await http().get('/api/convos').query(query).set(user.auth).expect(200)).body as {
      data: { conversationId: string; title: string; isArchived: boolean; updatedAt: string }[];
      has_more: boolean;
      after: string | null;
    };
  const messagesOf = async (user: TestUser, conversationId: string) =>
    (await http().get(`/api/messages/${conversationId}`).set(user.auth).expect(200)).body as Message[];
  /** A conversation whose first answer has two follow-ups: q1 → a1 → (q2 → a2 | q3 → a3). */
  const branched = async (user: TestUser, agentId: string) => {
    answer('Twenty-five.');
    const t1 = await chat(user, agentId, 'How many leave days?');
    answer('Ten.');
    const t2 = await chat(user, agentId, 'And sick days?', {
      conversationId: t1.conversationId,
      parentMessageId: t1.responseMessageId,
    });
    answer('Sixteen weeks.');
    const t3 = await chat(user, agentId, 'And parental leave?', {
      conversationId: t1.conversationId,
      parentMessageId: t1.responseMessageId,
    });
    return { conversationId: t1.conversationId, t1, t2, t3 };
  };

  beforeAll(() => target().fake.setDefault({ tokens: ['Hello', ' world'] }));

  it('renames and archives; lists the other conversations by default, archived ones on request, newest activity first', async () => {
    const { me, agent } = await newUserWithAgent();
    const c1 = (await chat(me, agent.id, 'first')).conversationId;
    const c2 = (await chat(me, agent.id, 'second')).conversationId;
    const c3 = (await chat(me, agent.id, 'third')).conversationId;
    expect(ids(await list(me))).toEqual([c3, c2, c1]);
    await chat(me, agent.id, 'more', { conversationId: c1 }); // activity moves it up
    expect(ids(await list(me))).toEqual([c1, c3, c2]);

    const before = (await http().get(`/api/convos/${c2}`).set(me.auth).expect(200)).body;
    const renamed = await http().patch(`/api/convos/${c2}`).set(me.auth).send({ title: '  Budget 2027  ' }).expect(200);
    expect(renamed.body).toEqual({ ...before, title: 'Budget 2027' }); // trimmed; updatedAt (last activity) kept
    expect(ids(await list(me))).toEqual([c1, c3, c2]);

    const archived = await http().patch(`/api/convos/${c3}`).set(me.auth).send({ isArchived: true }).expect(200);
    expect(archived.body).toMatchObject({ conversationId: c3, isArchived: true, title: 'third' });
    expect(ids(await list(me))).toEqual([c1, c2]);
    expect(ids(await list(me, { isArchived: 'false' }))).toEqual([c1, c2]);
    expect(ids(await list(me, { isArchived: 'true' }))).toEqual([c3]);
    expect((await list(me, { isArchived: '1' })).data[0]).toMatchObject({ isArchived: true });

    // Pages follow the same order.
    const first = await list(me, { limit: '1' });
    expect(ids(first)).toEqual([c1]);
    expect(first.has_more).toBe(true);
    const second = await list(me, { limit: '1', cursor: first.after! });
    expect(ids(second)).toEqual([c2]);
    expect(second.has_more).toBe(false);

    // An archived conversation is still read and brought back.
    expect((await http().get(`/api/messages/${c3}`).set(me.auth).expect(200)).body).toHaveLength(2);
    await http().patch(`/api/convos/${c3}`).set(me.auth).send({ isArchived: false, title: 'Back' }).expect(200);
    expect((await list(me)).data.map((c) => [c.conversationId, c.title])).toEqual([
      [c1, 'first'],
      [c3, 'Back'],
      [c2, 'Budget 2027'],
    ]);
    expect(ids(await list(me, { isArchived: 'true' }))).toEqual([]);
  });

  it('validates every body and query, naming the field', async () => {
    const { me, agent } = await newUserWithAgent();
    const t = await chat(me, agent.id, 'hello');
    const c = t.conversationId;
    const bad = async (res: Promise<request.Response>) => {
      const r = await res;
      expect(r.status).toBe(400);
      return fields(r.body);
    };
    const patch = (body: unknown) =>
      http()
        .patch(`/api/convos/${c}`)
        .set(me.auth)
        .send(body as object);
    expect(await bad(patch({}))).toEqual(['title', 'isArchived']);
    expect(await bad(patch({ title: '   ' }))).toEqual(['title']);
    expect(await bad(patch({ title: 'x'.repeat(201) }))).toEqual(['title']);
    expect(await bad(patch({ title: 'two\nlines' }))).toEqual(['title']);
    expect(await bad(patch({ title: null }))).toEqual(['title']);
    expect(await bad(patch({ isArchived: 'yes' }))).toEqual(['isArchived']);
    expect(await bad(patch({ title: 'ok', pinned: true }))).toEqual(['pinned']);
    await patch({ title: 'x'.repeat(200) }).expect(200);

    expect(await bad(http().get('/api/convos').query({ isArchived: 'maybe' }).set(me.auth))).toEqual(['isArchived']);
    expect(await bad(http().get(`/api/convos/${c}/export`).query({ format: 'pdf' }).set(me.auth))).toEqual(['format']);

    const fork = (body: unknown) =>
      http()
        .post('/api/convos/fork')
        .set(me.auth)
        .send(body as object);
    expect((await bad(fork({}))).sort()).toEqual(['conversationId', 'messageId']);
    expect(await bad(fork({ conversationId: 'nope', messageId: t.responseMessageId }))).toEqual(['conversationId']);

    const edit = (body: unknown) =>
      http()
        .put(`/api/messages/${c}/${t.responseMessageId}`)
        .set(me.auth)
        .send(body as object);
    expect(await bad(edit({}))).toEqual(['text']);
    expect(await bad(edit({ text: '' }))).toEqual(['text']);
    expect(await bad(edit({ text: 'ok', index: 0 }))).toEqual(['index']);

    const rate = (body: unknown) =>
      http()
        .put(`/api/messages/${c}/${t.responseMessageId}/feedback`)
        .set(me.auth)
        .send(body as object);
    expect(await bad(rate({}))).toEqual(['rating']);
    expect(await bad(rate({ rating: 'meh' }))).toEqual(['rating']);
    expect(await bad(rate({ rating: 'thumbsUp', tag: 'nope' }))).toEqual(['tag']);
    expect(await bad(rate({ rating: 'thumbsUp', tag: 'inaccurate' }))).toEqual(['tag']); // a reason for thumbsDown
    expect(await bad(rate({ rating: 'thumbsDown', text: 'x'.repeat(1001) }))).toEqual(['text']);

    // A body on DELETE /api/convos (LibreChat names one conversation so) deletes nothing.
    const refused = http()
      .delete('/api/convos')
      .set(me.auth)
      .send({ arg: { conversationId: c } });
    expect(await bad(refused)).toEqual(['arg']);
    expect(ids(await list(me))).toEqual([c]);
  });

  it('deletes one conversation: its messages, status and stream are gone; the rest stays', async () => {
    const { me, agent } = await newUserWithAgent();
    const other = await newUserWithAgent();
    const doomed = await chat(me, agent.id, 'doomed');
    const kept = await chat(me, agent.id, 'kept');
    const theirs = await chat(other.me, other.agent.id, 'theirs');

    await http().delete(`/api/convos/${doomed.conversationId}`).set(other.me.auth).expect(404);
    expect(await messagesOf(me, doomed.conversationId)).toHaveLength(2);

    await http().delete(`/api/convos/${doomed.conversationId}`).set(me.auth).expect(204);
    const c = doomed.conversationId;
    await http().get(`/api/convos/${c}`).set(me.auth).expect(404);
    await http().get(`/api/messages/${c}`).set(me.auth).expect(404);
    await http().get(`/api/convos/${c}/export`).set(me.auth).expect(404);
    await http().get(`/api/agents/chat/stream/${c}`).set(me.auth).expect(404);
    expect((await http().get(`/api/agents/chat/status/${c}`).set(me.auth).expect(200)).body).toEqual({ active: false });
    await http()
      .put(`/api/messages/${c}/${doomed.responseMessageId}/feedback`)
      .set(me.auth)
      .send({ rating: 'thumbsUp' })
      .expect(404);
    await http()
      .post('/api/convos/fork')
      .set(me.auth)
      .send({ conversationId: c, messageId: doomed.responseMessageId })
      .expect(404);
    await http().delete(`/api/convos/${c}`).set(me.auth).expect(404);

    expect(ids(await list(me))).toEqual([kept.conversationId]);
    expect(texts(await messagesOf(me, kept.conversationId))).toEqual(['kept', 'Hello world']);
    expect(texts(await messagesOf(other.me, theirs.conversationId))).toEqual(['theirs', 'Hello world']);
  });

  it('deletes all of a user’s conversations, leaving only the account, its files and its usage', async () => {
    const { me, agent } = await newUserWithAgent();
    const other = await newUserWithAgent();
    const fileId = await uploadFile(http(), me, 'notes.txt', Buffer.from('Holidays: 25 days.\n'));
    const withFile = await chat(me, agent.id, 'Read my notes', { files: [fileId], idempotencyKey: 'start-1' });
    const plain = await chat(me, agent.id, 'plain');
    const archived = await chat(me, agent.id, 'to archive');
    await http().patch(`/api/convos/${archived.conversationId}`).set(me.auth).send({ isArchived: true }).expect(200);
    await http()
      .put(`/api/messages/${plain.conversationId}/${plain.responseMessageId}/feedback`)
      .set(me.auth)
      .send({ rating: 'thumbsDown', tag: 'not_helpful' })
      .expect(200);
    const theirs = await chat(other.me, other.agent.id, 'theirs');
    expect((await http().get(`/api/files/${fileId}`).set(me.auth).expect(200)).body.conversation_id).toBe(
      withFile.conversationId,
    );
    const usage = async () => (await http().get('/api/usage').set(me.auth).expect(200)).body.totals.requests as number;
    expect(await usage()).toBe(3);

    const res = await http().delete('/api/convos').set(me.auth).expect(200);
    expect(res.body).toEqual({ deleted: 3 });

    // Nothing of them is readable; the account, the file and the usage stay.
    expect(ids(await list(me))).toEqual([]);
    expect(ids(await list(me, { isArchived: 'true' }))).toEqual([]);
    for (const started of [withFile, plain, archived]) {
      await http().get(`/api/convos/${started.conversationId}`).set(me.auth).expect(404);
      await http().get(`/api/messages/${started.conversationId}`).set(me.auth).expect(404);
    }
    expect((await http().get(`/api/files/${fileId}`).set(me.auth).expect(200)).body.conversation_id).toBeNull();
    expect((await http().get('/api/user').set(me.auth).expect(200)).body.id).toBe(me.id);
    expect(await usage()).toBe(3);
    expect((await http().get(`/api/agents/${agent.id}/feedback`).set(me.auth).expect(200)).body).toEqual({
      agentId: agent.id,
      thumbsUp: 0,
      thumbsDown: 0,
      versions: [],
    });
    const sql = target().sql;
    if (sql) {
      const [counts] = await sql(
        `SELECT (SELECT count(*) FROM conversations WHERE user_id = $1)::int AS conversations,
                (SELECT count(*) FROM messages WHERE user_id = $1)::int AS messages,
                (SELECT count(*) FROM chat_idempotency_keys WHERE user_id = $1)::int AS idempotency_keys,
                (SELECT count(*) FROM files WHERE user_id = $1 AND conversation_id IS NOT NULL)::int AS attached_files,
                (SELECT count(*) FROM files WHERE user_id = $1)::int AS files,
                (SELECT count(*) FROM users WHERE id = $1)::int AS users`,
        [me.id],
      );
      expect(counts).toEqual({
        conversations: 0,
        messages: 0,
        idempotency_keys: 0,
        attached_files: 0,
        files: 1,
        users: 1,
      });
    }
    // The start's idempotency key went with its conversation: the same request starts afresh.
    const again = await chat(me, agent.id, 'Read my notes', { files: [fileId], idempotencyKey: 'start-1' });
    expect(again.conversationId).not.toBe(withFile.conversationId);
    // Nobody else's conversations were touched.
    expect(texts(await messagesOf(other.me, theirs.conversationId))).toEqual(['theirs', 'Hello world']);
  });

  it('deletes a conversation while its answer streams: the stream ends with its terminal frame and nothing comes back', async () => {
    const { me, agent } = await newUserWithAgent();
    target().fake.script({ tokens: Array.from({ length: 300 }, (_, i) => `w${i} `), tokenDelayMs: 25 });
    const requestsBefore = target().fake.requests.length;
    const started = (
      await http().post('/api/agents/chat').set(me.auth).send({ agent_id: agent.id, text: 'Write a lot' }).expect(200)
    ).body as Started;
    const frames: SseFrame[] = [];
    const reading = readSse(`${target().api}/api/agents/chat/stream/${started.streamId}`, me.auth, {
      onFrame: (frame) => frames.push(frame),
    });
    await until(() => deltas(frames).length >= 3);

    await http().delete(`/api/convos/${started.conversationId}`).set(me.auth).expect(204);

    const sse = await reading;
    expect(terminals(sse.frames)).toHaveLength(1);
    const last = sse.frames[sse.frames.length - 1];
    expect(last.data).toMatchObject({ final: true, aborted: true, responseMessage: { unfinished: true } });
    // The provider call was cancelled, not run to its end.
    const providerCall = target().fake.requests[requestsBefore];
    await until(() => providerCall.closedByClient);
    expect(providerCall.tokensSent).toBeLessThan(300);

    const c = started.conversationId;
    await until(async () => {
      const active = await http().get('/api/agents/chat/active').set(me.auth).expect(200);
      return !(active.body.activeJobIds as string[]).includes(c);
    });
    await http().get(`/api/convos/${c}`).set(me.auth).expect(404);
    await http().get(`/api/messages/${c}`).set(me.auth).expect(404);
    expect((await http().get(`/api/agents/chat/status/${c}`).set(me.auth).expect(200)).body).toEqual({ active: false });
    expect(ids(await list(me))).toEqual([]);
    const sql = target().sql;
    if (sql) {
      const [row] = await sql(
        `SELECT (SELECT count(*) FROM conversations WHERE id = $1)::int AS conversations,
                (SELECT count(*) FROM messages WHERE conversation_id = $1 OR id = $2)::int AS messages`,
        [c, started.responseMessageId],
      );
      expect(row).toEqual({ conversations: 0, messages: 0 });
    }
    // The conversation is gone for good: continuing it is a 404, not a resurrection.
    await http()
      .post('/api/agents/chat')
      .set(me.auth)
      .send({ agent_id: agent.id, text: 'Still there?', conversationId: c })
      .expect(404);
  });

  it('exports a conversation as JSON and as Markdown, every branch, as a download, within EXPORT_MAX_MESSAGES', async () => {
    const { me, agent } = await newUserWithAgent({ name: 'Policy Helper' });
    const { conversationId: c, t3 } = await branched(me, agent.id);
    await http().patch(`/api/convos/${c}`).set(me.auth).send({ title: 'Leave "policy" / 2027' }).expect(200);

    const json = await http().get(`/api/convos/${c}/export`).set(me.auth).expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.headers['content-disposition']).toBe(
      `attachment; filename="Leave -policy- - 2027.json"; filename*=UTF-8''Leave%20-policy-%20-%202027.json`,
    );
    expect(json.body.conversation).toMatchObject({ conversationId: c, title: 'Leave "policy" / 2027' });
    const exported = json.body.messages as Message[];
    expect(texts(exported)).toEqual([
      'How many leave days?',
      'Twenty-five.',
      'And sick days?',
      'Ten.',
      'And parental leave?',
      'Sixteen weeks.',
    ]);
    expect(exported[2].parentMessageId).toBe(exported[1].messageId);
    expect(exported[4].parentMessageId).toBe(exported[1].messageId);
    expect(exported[5]).toMatchObject({
      messageId: t3.responseMessageId,
      sender: 'Policy Helper',
      model: 'gpt-4o',
      content: [{ type: 'text', text: 'Sixteen weeks.' }],
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
      createdAt: expect.any(String),
    });
    expect(exported).toEqual(await messagesOf(me, c));

    const md = await http().get(`/api/convos/${c}/export`).query({ format: 'markdown' }).set(me.auth).expect(200);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.headers['content-disposition']).toMatch(/^attachment; filename="Leave -policy- - 2027\.md"/);
    const doc = md.text;
    expect(doc.startsWith('# Leave "policy" / 2027\n')).toBe(true);
    expect(doc.split('\n').filter((line) => line.startsWith('## '))).toEqual([
      '## Thread 1',
      '## Thread 1.1',
      '## Thread 1.2',
    ]);
    const at = (text: string) => doc.indexOf(text);
    expect(at('How many leave days?')).toBeLessThan(at('Twenty-five.'));
    expect(at('Twenty-five.')).toBeLessThan(at('## Thread 1.1'));
    expect(at('## Thread 1.1')).toBeLessThan(at('And sick days?'));
    expect(at('Ten.')).toBeLessThan(at('## Thread 1.2'));
    expect(at('## Thread 1.2')).toBeLessThan(at('Sixteen weeks.'));

    // Two more turns make ten messages, over the limit of eight: refused, not cut.
    await chat(me, agent.id, 'One more', { conversationId: c, parentMessageId: t3.responseMessageId });
    await chat(me, agent.id, 'And another', { conversationId: c });
    const refused = await http().get(`/api/convos/${c}/export`).set(me.auth).expect(422);
    expect(refused.body.message).toMatch(/more than 8 messages/);
    await http().get(`/api/convos/${c}/export`).query({ format: 'markdown' }).set(me.auth).expect(422);
  });

  it('forks the thread down to a message into a new conversation of the caller’s, which goes on from there', async () => {
    const { me, agent } = await newUserWithAgent();
    const stranger = await createUser(http());
    const { conversationId: c, t1, t3 } = await branched(me, agent.id);
    const original = await messagesOf(me, c);

    const res = await http()
      .post('/api/convos/fork')
      .set(me.auth)
      .send({ conversationId: c, messageId: t3.responseMessageId })
      .expect(201);
    const { conversation, messages } = res.body as {
      conversation: { conversationId: string; title: string };
      messages: Message[];
    };
    expect(conversation).toMatchObject({ title: 'How many leave days? (fork)', agent_id: agent.id, isArchived: false });
    expect(conversation.conversationId).not.toBe(c);
    expect(texts(messages)).toEqual(['How many leave days?', 'Twenty-five.', 'And parental leave?', 'Sixteen weeks.']);
    const originalIds = new Set(original.map((m) => m.messageId));
    expect(messages.some((m) => originalIds.has(m.messageId))).toBe(false);
    expect(messages.map((m) => m.parentMessageId)).toEqual([
      null,
      messages[0].messageId,
      messages[1].messageId,
      messages[2].messageId,
    ]);
    expect(messages.every((m) => m.conversationId === conversation.conversationId)).toBe(true);
    expect(await messagesOf(me, conversation.conversationId)).toEqual(messages);
    expect(await messagesOf(me, c)).toEqual(original);
    expect(ids(await list(me))[0]).toBe(conversation.conversationId);

    // The fork goes on from the copied thread: the provider hears it, not the sibling branch.
    answer('You are welcome.');
    await chat(me, agent.id, 'Thanks', { conversationId: conversation.conversationId });
    const sent = target().fake.requests[target().fake.requests.length - 1].body!.messages!.map((m) => m.content);
    expect(sent).toEqual(
      expect.arrayContaining(['How many leave days?', 'And parental leave?', 'Sixteen weeks.', 'Thanks']),
    );
    expect(sent).not.toContain('And sick days?');

    const fork = (user: TestUser, body: object) => http().post('/api/convos/fork').set(user.auth).send(body);
    await fork(stranger, { conversationId: c, messageId: t1.responseMessageId }).expect(404);
    const elsewhere = await chat(me, agent.id, 'elsewhere');
    await fork(me, { conversationId: c, messageId: elsewhere.responseMessageId }).expect(404);
    await fork(me, { conversationId: randomUUID(), messageId: t1.responseMessageId }).expect(404);
  });

  it('edits an answer in place; refuses the user’s own messages and an answer still being written', async () => {
    const { me, agent } = await newUserWithAgent();
    answer('Twenty-five.');
    const t = await chat(me, agent.id, 'How many leave days?');
    const c = t.conversationId;

    const edited = await http()
      .put(`/api/messages/${c}/${t.responseMessageId}`)
      .set(me.auth)
      .send({ text: 'Twenty-five working days.' })
      .expect(200);
    expect(edited.body).toMatchObject({
      messageId: t.responseMessageId,
      text: 'Twenty-five working days.',
      content: [{ type: 'text', text: 'Twenty-five working days.' }],
      edited: true,
    });
    const stored = await messagesOf(me, c);
    expect(stored.map((m) => [m.text, m.edited])).toEqual([
      ['How many leave days?', false],
      ['Twenty-five working days.', true],
    ]);
    const own = await http().put(`/api/messages/${c}/${t.userMessageId}`).set(me.auth).send({ text: 'x' }).expect(400);
    expect(fields(own.body)).toEqual(['messageId']);

    // The next turn's history carries the edited answer.
    await chat(me, agent.id, 'Sure?', { conversationId: c });
    const sent = target().fake.requests[target().fake.requests.length - 1].body!.messages!;
    expect(sent).toContainEqual({ role: 'assistant', content: 'Twenty-five working days.' });

    // While an answer is being written, it is not edited.
    target().fake.script({ tokens: Array.from({ length: 200 }, (_, i) => `s${i} `), tokenDelayMs: 25 });
    const running = (
      await http()
        .post('/api/agents/chat')
        .set(me.auth)
        .send({ agent_id: agent.id, text: 'Long one', conversationId: c })
        .expect(200)
    ).body as Started;
    const busy = await http()
      .put(`/api/messages/${c}/${running.responseMessageId}`)
      .set(me.auth)
      .send({ text: 'too early' })
      .expect(409);
    expect(busy.body.message).toMatch(/still being generated/);
    await http().post('/api/agents/chat/abort').set(me.auth).send({ conversationId: c }).expect(200);
    const sse = await readSse(`${target().api}/api/agents/chat/stream/${running.streamId}`, me.auth);
    expect(sse.frames[sse.frames.length - 1].data).toMatchObject({ final: true, aborted: true });
    // Once stored, the partial answer can be edited.
    await http()
      .put(`/api/messages/${c}/${running.responseMessageId}`)
      .set(me.auth)
      .send({ text: 'Short one.' })
      .expect(200);
  });

  it('rates answers, and shows the counts per agent version, and no one’s identity, to the agent’s editors only', async () => {
    const { me, agent } = await newUserWithAgent();
    const user = await createUser(http());
    const stranger = await createUser(http());
    await share(http(), me, agent.id, { updated: [{ type: 'user', id: user.id, accessRoleId: 'agent_user' }] });

    const t1 = await chat(me, agent.id, 'first');
    const rated = await http()
      .put(`/api/messages/${t1.conversationId}/${t1.responseMessageId}/feedback`)
      .set(me.auth)
      .send({ rating: 'thumbsUp', tag: 'accurate_reliable' })
      .expect(200);
    expect(rated.body).toEqual({
      messageId: t1.responseMessageId,
      conversationId: t1.conversationId,
      feedback: { rating: 'thumbsUp', tag: 'accurate_reliable', text: null, updatedAt: expect.any(String) },
    });
    const stored = await messagesOf(me, t1.conversationId);
    expect(stored.map((m) => m.feedback)).toEqual([null, rated.body.feedback]);

    await http().patch(`/api/agents/${agent.id}`).set(me.auth).send({ instructions: 'Be briefer.' }).expect(200);
    const t2 = await chat(me, agent.id, 'second', { conversationId: t1.conversationId });
    const rate = (who: TestUser, t: Started, body: object) =>
      http().put(`/api/messages/${t.conversationId}/${t.responseMessageId}/feedback`).set(who.auth).send(body);
    await rate(me, t2, { rating: 'thumbsUp' }).expect(200);
    await rate(me, t2, { rating: 'thumbsDown', tag: 'inaccurate', text: 'Outdated since 2025' }).expect(200); // replaces
    const theirs = await chat(user, agent.id, 'from a user');
    await rate(user, theirs, { rating: 'thumbsDown', tag: 'not_helpful' }).expect(200);

    const report = await http().get(`/api/agents/${agent.id}/feedback`).set(me.auth).expect(200);
    expect(report.body).toEqual({
      agentId: agent.id,
      thumbsUp: 1,
      thumbsDown: 2,
      versions: [
        { agentVersion: 1, thumbsUp: 1, thumbsDown: 0, tags: [{ tag: 'accurate_reliable', count: 1 }] },
        {
          agentVersion: 2,
          thumbsUp: 0,
          thumbsDown: 2,
          tags: [
            { tag: 'inaccurate', count: 1 },
            { tag: 'not_helpful', count: 1 },
          ],
        },
      ],
    });
    expect(JSON.stringify(report.body)).not.toContain(user.id);
    expect(JSON.stringify(report.body)).not.toContain('Outdated');
    await http().get(`/api/agents/${agent.id}/feedback`).set(user.auth).expect(403); // may use it, not edit it
    await http().get(`/api/agents/${agent.id}/feedback`).set(stranger.auth).expect(404);

    await http().delete(`/api/messages/${t2.conversationId}/${t2.responseMessageId}/feedback`).set(me.auth).expect(204);
    expect((await messagesOf(me, t2.conversationId))[3].feedback).toBeNull();
    const after = await http().get(`/api/agents/${agent.id}/feedback`).set(me.auth).expect(200);
    expect(after.body.versions[1]).toEqual({
      agentVersion: 2,
      thumbsUp: 0,
      thumbsDown: 1,
      tags: [{ tag: 'not_helpful', count: 1 }],
    });

    const own = await http()
      .put(`/api/messages/${t1.conversationId}/${t1.userMessageId}/feedback`)
      .set(me.auth)
      .send({ rating: 'thumbsUp' })
      .expect(400);
    expect(fields(own.body)).toEqual(['messageId']);
    await rate(stranger, t1, { rating: 'thumbsDown' }).expect(404);
    await rate(user, t1, { rating: 'thumbsDown' }).expect(404); // may use the agent, not read my conversation
  });

  it('answers another user’s conversation and message ids with a bare 404 on every route', async () => {
    const { me, agent } = await newUserWithAgent();
    const stranger = await createUser(http());
    answer('Secret answer.');
    const t = await chat(me, agent.id, 'Secret question');
    const mine = await chat(me, agent.id, 'another of mine');
    const c = t.conversationId;
    const m = t.responseMessageId;
    const attempts: [string, request.Test][] = [
      ['GET convo', http().get(`/api/convos/${c}`).set(stranger.auth)],
      ['PATCH convo', http().patch(`/api/convos/${c}`).set(stranger.auth).send({ title: 'Mine' })],
      ['DELETE convo', http().delete(`/api/convos/${c}`).set(stranger.auth)],
      ['export json', http().get(`/api/convos/${c}/export`).set(stranger.auth)],
      ['export md', http().get(`/api/convos/${c}/export?format=markdown`).set(stranger.auth)],
      ['fork', http().post('/api/convos/fork').set(stranger.auth).send({ conversationId: c, messageId: m })],
      ['messages', http().get(`/api/messages/${c}`).set(stranger.auth)],
      ['edit', http().put(`/api/messages/${c}/${m}`).set(stranger.auth).send({ text: 'Mine' })],
      ['rate', http().put(`/api/messages/${c}/${m}/feedback`).set(stranger.auth).send({ rating: 'thumbsUp' })],
      ['unrate', http().delete(`/api/messages/${c}/${m}/feedback`).set(stranger.auth)],
      // My own conversation with a message of another of mine, and ids that are no ids at all.
      ['wrong conversation', http().put(`/api/messages/${mine.conversationId}/${m}`).set(me.auth).send({ text: 'x' })],
      ['not a uuid', http().patch('/api/convos/not-a-uuid').set(me.auth).send({ title: 'x' })],
      ['not a message', http().put(`/api/messages/${c}/nope/feedback`).set(me.auth).send({ rating: 'thumbsUp' })],
    ];
    for (const [what, attempt] of attempts) {
      const res = await attempt;
      expect([what, res.status]).toEqual([what, 404]);
      expect(res.body).toEqual({ error: 'Not Found', message: expect.any(String) });
      expect(JSON.stringify(res.body)).not.toMatch(/Secret/);
    }
    // All of it is still mine, unchanged.
    expect((await http().get(`/api/convos/${c}`).set(me.auth).expect(200)).body.title).toBe('Secret question');
    expect((await messagesOf(me, c)).map((msg) => [msg.text, msg.edited, msg.feedback])).toEqual([
      ['Secret question', false, null],
      ['Secret answer.', false, null],
    ]);
  });
}
