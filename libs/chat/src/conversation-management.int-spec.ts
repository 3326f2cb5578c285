import { randomUUID } from 'node:crypto';
import type { AuthUser } from '@agents/auth';
import { loadConfig } from '@agents/core';
import { InMemoryGenerationState } from '@agents/streaming';
import { type IntegrationDatabase, insertUser, openIntegrationDatabase } from '@agents/testing/integration-database';
import { SqlChatFiles } from './chat-files';
import { ConversationDeletionService, DELETED_ABORT } from './conversation-deletion.service';
import { ConversationEntity } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import type { GenerationLauncher } from './generation-launcher';
import { IdempotencyRepository } from './idempotency.repository';
import { MessageEntity } from './message.entity';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';

/** Renaming, archiving, deleting, forking and rating conversations on real PostgreSQL. */
let database: IntegrationDatabase;
let conversations: ConversationsRepository;
let messages: MessagesRepository;
let idempotency: IdempotencyRepository;
let state: InMemoryGenerationState;
let aborts: { streamId: string; conversationExisted: boolean }[];
let deletion: ConversationDeletionService;
let service: ConversationsService;
let messagesService: MessagesService;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  conversations = new ConversationsRepository(database.db);
  messages = new MessagesRepository(database.db);
  idempotency = new IdempotencyRepository(database.db);
  state = new InMemoryGenerationState();
  aborts = [];
  // The launcher's abort, recording whether the conversation still existed when it was asked.
  const launcher = {
    abort: async (streamId: string, reason?: string) => {
      expect(reason).toBe(DELETED_ABORT);
      const rows = await database.dataSource.query<unknown[]>('SELECT 1 FROM conversations WHERE id = $1', [streamId]);
      aborts.push({ streamId, conversationExisted: rows.length === 1 });
      await state.requestAbort(streamId);
    },
  } as unknown as GenerationLauncher;
  deletion = new ConversationDeletionService(
    database.db,
    conversations,
    idempotency,
    new SqlChatFiles(database.db),
    launcher,
    state,
  );
  const config = loadConfig({
    DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
    JWT_SECRET: 'x'.repeat(40),
    EXPORT_MAX_MESSAGES: '4',
  });
  service = new ConversationsService(database.db, conversations, messages, config);
  messagesService = new MessagesService(conversations, messages, state);
});
afterAll(() => database?.close());

const T0 = Date.parse('2026-04-01T09:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const asUser = (id: string): AuthUser => ({ id, role: 'USER' }) as AuthUser;

async function conversation(userId: string, overrides: Partial<ConversationEntity> = {}): Promise<ConversationEntity> {
  const c = Object.assign(new ConversationEntity(), {
    id: randomUUID(),
    userId,
    agentId: 'agent_000000000000000000001',
    title: 'Leave policy',
    isArchived: false,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  });
  await conversations.insert(database.dataSource.manager, c);
  return c;
}

let clock = 0;
async function message(
  c: ConversationEntity,
  parent: MessageEntity | null,
  text: string,
  overrides: Partial<MessageEntity> = {},
): Promise<MessageEntity> {
  clock += 1;
  const byUser = parent === null || !parent.isCreatedByUser;
  const m = Object.assign(new MessageEntity(), {
    id: randomUUID(),
    conversationId: c.id,
    parentMessageId: parent?.id ?? null,
    userId: c.userId,
    sender: byUser ? 'User' : 'Helper',
    isCreatedByUser: byUser,
    text,
    content: [{ type: 'text', text }],
    attachments: [],
    files: [],
    unfinished: false,
    error: false,
    agentId: c.agentId,
    model: byUser ? null : 'gpt-4o',
    promptTokens: byUser ? null : 10,
    completionTokens: byUser ? null : 5,
    agentVersion: byUser ? null : 1,
    createdAt: at(clock),
    ...overrides,
  });
  await messages.insert(database.dataSource.manager, m);
  return m;
}

/** A conversation of two turns: q1 → a1 → q2 → a2. */
async function twoTurns(userId: string): Promise<{ c: ConversationEntity; thread: MessageEntity[] }> {
  const c = await conversation(userId);
  const q1 = await message(c, null, 'q1');
  const a1 = await message(c, q1, 'a1');
  const q2 = await message(c, a1, 'q2');
  const a2 = await message(c, q2, 'a2');
  return { c, thread: [q1, a1, q2, a2] };
}

async function insertFile(userId: string, conversationId: string | null): Promise<string> {
  const id = randomUUID();
  await database.dataSource.query(
    `INSERT INTO files (id, user_id, filename, mime_type, bytes, sha256, storage, purpose, conversation_id, status)
     VALUES ($1, $2, 'notes.txt', 'text/plain', 3, $3, 'database', 'attachment', $4, 'ready')`,
    [id, userId, 'a'.repeat(64), conversationId],
  );
  return id;
}

async function idempotencyKey(userId: string, key: string, conversationId: string): Promise<void> {
  await idempotency.claim(userId, key, 'f'.repeat(64));
  await idempotency.complete(database.dataSource.manager, userId, key, { conversationId, streamId: conversationId });
}

/** Rows that belong to the user in each table that holds content, and what stays. */
async function rowsOf(userId: string): Promise<Record<string, number>> {
  const [row] = await database.dataSource.query<Record<string, string>[]>(
    `SELECT
       (SELECT count(*) FROM conversations WHERE user_id = $1) AS conversations,
       (SELECT count(*) FROM messages WHERE user_id = $1) AS messages,
       (SELECT count(*) FROM messages WHERE user_id = $1 AND feedback_rating IS NOT NULL) AS feedback,
       (SELECT count(*) FROM chat_idempotency_keys WHERE user_id = $1) AS idempotency_keys,
       (SELECT count(*) FROM files WHERE user_id = $1 AND conversation_id IS NOT NULL) AS attached_files,
       (SELECT count(*) FROM files WHERE user_id = $1) AS files,
       (SELECT count(*) FROM usage_records WHERE user_id = $1) AS usage_records,
       (SELECT count(*) FROM users WHERE id = $1) AS users`,
    [userId],
  );
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

describe('ConversationsRepository.updateOwned', () => {
  it('renames and archives the owner’s conversation without moving it in the list; nobody else’s', async () => {
    const owner = await insertUser(database.dataSource);
    const stranger = await insertUser(database.dataSource);
    const c = await conversation(owner.id, { updatedAt: at(50) });
    expect(await conversations.updateOwned(owner.id, c.id, { title: 'Renamed', isArchived: true })).toMatchObject({
      id: c.id,
      title: 'Renamed',
      isArchived: true,
      updatedAt: at(50),
    });
    expect(await conversations.updateOwned(stranger.id, c.id, { title: 'Mine now' })).toBeNull();
    expect(await conversations.updateOwned(owner.id, 'not-a-uuid', { title: 'x' })).toBeNull();
    expect((await conversations.findOwned(owner.id, c.id))?.title).toBe('Renamed');
  });
});

describe('MessagesRepository.insertIfAbsent (storing an answer)', () => {
  const answerTo = (c: ConversationEntity, parent: MessageEntity): MessageEntity =>
    Object.assign(new MessageEntity(), {
      id: randomUUID(),
      conversationId: c.id,
      parentMessageId: parent.id,
      userId: c.userId,
      sender: 'Helper',
      isCreatedByUser: false,
      text: 'an answer',
      content: [{ type: 'text', text: 'an answer' }],
      attachments: [],
      files: [],
      unfinished: false,
      error: false,
      agentId: c.agentId,
      model: 'gpt-4o',
      promptTokens: 3,
      completionTokens: 2,
      reasoningTokens: 0,
      cachedTokens: null,
      provider: 'openai',
      agentVersion: 4,
      createdAt: at(900),
    });

  it('stores the answer once, however often it is retried', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const q = await message(c, null, 'q');
    const answer = answerTo(c, q);
    expect(await messages.storeAnswer(answer)).toMatchObject({ id: c.id });
    expect(await messages.storeAnswer(answer)).toMatchObject({ id: c.id });
    expect(await messages.findById(answer.id)).toMatchObject({
      text: 'an answer',
      provider: 'openai',
      agentVersion: 4,
      reasoningTokens: 0,
      edited: false,
      feedbackRating: null,
    });
    expect((await messages.allOfConversation(c.id, 10)).length).toBe(2);
  });

  it('stores nothing, and fails nothing, once the conversation is deleted', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const answer = answerTo(c, await message(c, null, 'q'));
    await deletion.remove(asUser(user.id), c.id);
    expect(await messages.storeAnswer(answer)).toBeNull();
    expect(await messages.findById(answer.id)).toBeNull();
    expect(await conversations.findOwned(user.id, c.id)).toBeNull();
  });

  it('waits for a deletion in progress, then stores nothing', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const answer = answerTo(c, await message(c, null, 'q'));
    const deleting = database.dataSource.createQueryRunner();
    await deleting.connect();
    await deleting.startTransaction();
    await deleting.query('DELETE FROM conversations WHERE id = $1', [c.id]);
    let settled = false;
    const storing = messages.storeAnswer(answer).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false); // blocked on the conversation's row
    await deleting.commitTransaction();
    await deleting.release();
    expect(await storing).toBeNull();
    expect(await messages.findById(answer.id)).toBeNull();
  });

  it('an answer stored before the deletion goes with its conversation', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const answer = answerTo(c, await message(c, null, 'q'));
    expect(await messages.storeAnswer(answer)).not.toBeNull();
    await deletion.remove(asUser(user.id), c.id);
    expect(await messages.findById(answer.id)).toBeNull();
    expect(await conversations.findOwned(user.id, c.id)).toBeNull();
  });
});

describe('ConversationDeletionService', () => {
  it('deletes one conversation with its messages, ratings and idempotency keys, detaching its files', async () => {
    const me = await insertUser(database.dataSource);
    const other = await insertUser(database.dataSource);
    const { c: doomed, thread } = await twoTurns(me.id);
    const { c: kept } = await twoTurns(me.id);
    const { c: theirs } = await twoTurns(other.id);
    await messages.setFeedback(thread[1].id, { rating: 'thumbsUp', tag: null, text: null, at: at(1) });
    await idempotencyKey(me.id, 'doomed-start', doomed.id);
    await idempotencyKey(me.id, 'kept-start', kept.id);
    await idempotencyKey(other.id, 'doomed-start', doomed.id); // only the owner's keys are looked at
    const attached = await insertFile(me.id, doomed.id);
    const keptFile = await insertFile(me.id, kept.id);
    const before = await rowsOf(me.id);

    await deletion.remove(asUser(me.id), doomed.id);

    expect(await conversations.findOwned(me.id, doomed.id)).toBeNull();
    expect(await messages.allOfConversation(doomed.id, 10)).toEqual([]);
    expect(await rowsOf(me.id)).toEqual({
      ...before,
      conversations: before.conversations - 1,
      messages: before.messages - 4,
      feedback: before.feedback - 1,
      idempotency_keys: before.idempotency_keys - 1,
      attached_files: before.attached_files - 1,
    });
    const files = await database.dataSource.query<{ id: string; conversation_id: string | null }[]>(
      'SELECT id, conversation_id FROM files WHERE id = ANY($1::uuid[]) ORDER BY id',
      [[attached, keptFile]],
    );
    expect(Object.fromEntries(files.map((f) => [f.id, f.conversation_id]))).toEqual({
      [attached]: null,
      [keptFile]: kept.id,
    });
    const keys = await database.dataSource.query<{ user_id: string; key: string }[]>(
      `SELECT user_id, key FROM chat_idempotency_keys WHERE user_id = ANY($1::uuid[]) ORDER BY key`,
      [[me.id, other.id]],
    );
    expect(keys).toEqual([
      { user_id: other.id, key: 'doomed-start' },
      { user_id: me.id, key: 'kept-start' },
    ]);
    expect((await messages.allOfConversation(kept.id, 10)).length).toBe(4);
    expect((await messages.allOfConversation(theirs.id, 10)).length).toBe(4);
  });

  it('is a 404 for another user’s conversation, which stays whole', async () => {
    const me = await insertUser(database.dataSource);
    const stranger = await insertUser(database.dataSource);
    const { c } = await twoTurns(me.id);
    await expect(deletion.remove(asUser(stranger.id), c.id)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(deletion.remove(asUser(me.id), randomUUID())).rejects.toMatchObject({ kind: 'not_found' });
    expect((await messages.allOfConversation(c.id, 10)).length).toBe(4);
  });

  it('aborts a running generation before the conversation goes', async () => {
    const me = await insertUser(database.dataSource);
    const { c, thread } = await twoTurns(me.id);
    const idle = await conversation(me.id);
    await state.reserve(
      {
        streamId: c.id,
        conversationId: c.id,
        userId: me.id,
        agentId: c.agentId,
        userMessageId: thread[2].id,
        responseMessageId: randomUUID(),
      },
      { maxPerUser: 5 },
    );
    aborts.length = 0;
    await deletion.remove(asUser(me.id), c.id);
    await deletion.remove(asUser(me.id), idle.id);
    expect(aborts).toEqual([{ streamId: c.id, conversationExisted: true }]);
    expect(await state.abortRequested(c.id)).toBe(true);
  });

  it('deletes all of a user’s conversations, leaving only the account, its files and its usage', async () => {
    const me = await insertUser(database.dataSource);
    const other = await insertUser(database.dataSource);
    const { c: first, thread } = await twoTurns(me.id);
    await twoTurns(me.id);
    await conversation(me.id, { isArchived: true });
    await messages.setFeedback(thread[3].id, { rating: 'thumbsDown', tag: 'inaccurate', text: 'no', at: at(2) });
    await idempotencyKey(me.id, 'start-1', first.id);
    await insertFile(me.id, first.id);
    await insertFile(me.id, null);
    await database.dataSource.query(
      `INSERT INTO usage_records (id, user_id, agent_id, agent_version, provider, model, input_tokens, output_tokens,
         reasoning_tokens, cached_tokens, cache_write_tokens, created_at)
       VALUES ($1, $2, 'agent_000000000000000000001', 1, 'openai', 'gpt-4o', 10, 5, 0, 0, 0, now())`,
      [thread[1].id, me.id],
    );
    const { c: theirs } = await twoTurns(other.id);
    const theirsBefore = await rowsOf(other.id);
    await state.reserve(
      {
        streamId: first.id,
        conversationId: first.id,
        userId: me.id,
        agentId: first.agentId,
        userMessageId: thread[2].id,
        responseMessageId: randomUUID(),
      },
      { maxPerUser: 5 },
    );
    aborts.length = 0;

    expect(await deletion.removeAll(asUser(me.id))).toBe(3);

    expect(aborts).toEqual([{ streamId: first.id, conversationExisted: true }]);
    expect(await rowsOf(me.id)).toEqual({
      conversations: 0,
      messages: 0,
      feedback: 0,
      idempotency_keys: 0,
      attached_files: 0,
      files: 2,
      usage_records: 1,
      users: 1,
    });
    expect(await rowsOf(other.id)).toEqual(theirsBefore);
    expect((await messages.allOfConversation(theirs.id, 10)).length).toBe(4);
    expect(await deletion.removeAll(asUser(me.id))).toBe(0);
  });
});

describe('ConversationsService.fork', () => {
  it('copies the path from the root to the message, not its siblings, with new ids and remapped parents', async () => {
    const me = await insertUser(database.dataSource);
    const c = await conversation(me.id, { title: 'Leave policy' });
    const q1 = await message(c, null, 'q1');
    const a1 = await message(c, q1, 'a1', {
      attachments: [{ type: 'citations', toolCallId: 't1', messageId: 'old', conversationId: c.id, citations: [] }],
    });
    const q2 = await message(c, a1, 'q2');
    await message(c, q2, 'a2');
    const q2b = await message(c, a1, 'q2b'); // a sibling branch under a1
    await messages.setFeedback(a1.id, { rating: 'thumbsUp', tag: null, text: null, at: at(3) });

    const forked = await service.fork(asUser(me.id), { conversationId: c.id, messageId: q2b.id });

    expect(forked.conversation).toMatchObject({ title: 'Leave policy (fork)', agent_id: c.agentId, isArchived: false });
    expect(forked.conversation.conversationId).not.toBe(c.id);
    const copies = await messages.allOfConversation(forked.conversation.conversationId, 10);
    expect(copies.map((m) => m.text)).toEqual(['q1', 'a1', 'q2b']);
    expect(forked.messages.map((m) => m.messageId)).toEqual(copies.map((m) => m.id));
    const originalIds = new Set([q1.id, a1.id, q2b.id]);
    expect(copies.every((m) => !originalIds.has(m.id))).toBe(true);
    expect(copies.map((m) => m.parentMessageId)).toEqual([null, copies[0].id, copies[1].id]);
    expect(copies[1]).toMatchObject({
      userId: me.id,
      model: 'gpt-4o',
      promptTokens: 10,
      createdAt: a1.createdAt,
      feedbackRating: null,
      attachments: [expect.objectContaining({ messageId: copies[1].id, conversationId: copies[1].conversationId })],
    });
    // The original is untouched.
    expect((await messages.allOfConversation(c.id, 10)).length).toBe(5);
  });

  it('is a 404 for a message of another conversation and for another user’s conversation', async () => {
    const me = await insertUser(database.dataSource);
    const stranger = await insertUser(database.dataSource);
    const { c, thread } = await twoTurns(me.id);
    const { thread: elsewhere } = await twoTurns(me.id);
    await expect(
      service.fork(asUser(me.id), { conversationId: c.id, messageId: elsewhere[1].id }),
    ).rejects.toMatchObject({ kind: 'not_found', message: 'Message not found' });
    await expect(
      service.fork(asUser(stranger.id), { conversationId: c.id, messageId: thread[1].id }),
    ).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('ConversationsService.export', () => {
  it('exports the whole tree up to EXPORT_MAX_MESSAGES and refuses a longer conversation', async () => {
    const me = await insertUser(database.dataSource);
    const { c, thread } = await twoTurns(me.id);
    const exported = await service.export(asUser(me.id), c.id, 'json');
    expect(exported.format).toBe('json');
    expect(exported.filename).toBe('Leave policy.json');
    if (exported.format !== 'json') throw new Error('json expected');
    expect(exported.body.messages.map((m) => m.messageId)).toEqual(thread.map((m) => m.id));
    await message(c, thread[3], 'q3');
    await expect(service.export(asUser(me.id), c.id, 'markdown')).rejects.toMatchObject({
      kind: 'unprocessable',
      message: expect.stringContaining('more than 4 messages'),
    });
  });
});

describe('MessagesService: edits and ratings', () => {
  it('edits an answer in place, keeping its tool calls, and refuses a user message', async () => {
    const me = await insertUser(database.dataSource);
    const c = await conversation(me.id);
    const q = await message(c, null, 'q');
    const a = await message(c, q, 'Let me check. It is 4.', {
      content: [
        { type: 'think', think: 'simple' },
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_call', tool_call: { id: 't1', name: 'calculator', args: '{"e":"2+2"}', output: '4' } },
        { type: 'text', text: ' It is 4.' },
      ],
    });
    const edited = await messagesService.edit(asUser(me.id), c.id, a.id, { text: 'Four.' });
    expect(edited).toMatchObject({ text: 'Four.', edited: true });
    expect((await messages.findById(a.id))?.content).toEqual([
      { type: 'think', think: 'simple' },
      { type: 'tool_call', tool_call: { id: 't1', name: 'calculator', args: '{"e":"2+2"}', output: '4' } },
      { type: 'text', text: 'Four.' },
    ]);
    await expect(messagesService.edit(asUser(me.id), c.id, q.id, { text: 'x' })).rejects.toMatchObject({
      kind: 'validation',
      details: [expect.objectContaining({ field: 'messageId' })],
    });
  });

  it('counts ratings per agent version and reason, and forgets a removed one', async () => {
    const me = await insertUser(database.dataSource);
    const agentId = `agent_${randomUUID().replace(/-/g, '').slice(0, 21)}`;
    const c = await conversation(me.id, { agentId });
    const q = await message(c, null, 'q');
    const answers = [
      await message(c, q, 'v1 a', { agentVersion: 1 }),
      await message(c, q, 'v1 b', { agentVersion: 1 }),
      await message(c, q, 'v2 a', { agentVersion: 2 }),
      await message(c, q, 'v2 b', { agentVersion: 2 }),
      await message(c, q, 'v2 c', { agentVersion: 2 }),
      await message(c, q, 'unrated', { agentVersion: 2 }),
    ];
    const rate = (
      i: number,
      rating: 'thumbsUp' | 'thumbsDown',
      tag?: 'inaccurate' | 'not_helpful' | 'accurate_reliable',
    ) => messagesService.setFeedback(asUser(me.id), c.id, answers[i].id, { rating, ...(tag ? { tag } : {}) });
    await rate(0, 'thumbsUp');
    await rate(1, 'thumbsDown', 'inaccurate');
    await rate(2, 'thumbsDown', 'inaccurate');
    await rate(3, 'thumbsDown', 'not_helpful');
    await rate(4, 'thumbsUp', 'accurate_reliable');
    await rate(4, 'thumbsDown', 'inaccurate'); // replaces the first rating

    expect(await messagesService.agentFeedback(agentId)).toEqual({
      agentId,
      thumbsUp: 1,
      thumbsDown: 4,
      versions: [
        { agentVersion: 1, thumbsUp: 1, thumbsDown: 1, tags: [{ tag: 'inaccurate', count: 1 }] },
        {
          agentVersion: 2,
          thumbsUp: 0,
          thumbsDown: 3,
          tags: [
            { tag: 'inaccurate', count: 2 },
            { tag: 'not_helpful', count: 1 },
          ],
        },
      ],
    });
    await messagesService.clearFeedback(asUser(me.id), c.id, answers[2].id);
    expect((await messagesService.agentFeedback(agentId)).versions[1]).toEqual({
      agentVersion: 2,
      thumbsUp: 0,
      thumbsDown: 2,
      tags: [
        { tag: 'inaccurate', count: 1 },
        { tag: 'not_helpful', count: 1 },
      ],
    });
    await deletion.remove(asUser(me.id), c.id);
    expect(await messagesService.agentFeedback(agentId)).toEqual({ agentId, thumbsUp: 0, thumbsDown: 0, versions: [] });
  });
});
