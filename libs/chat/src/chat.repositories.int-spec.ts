import { randomUUID } from 'node:crypto';
import { ConversationEntity, ConversationsRepository, MessageEntity, MessagesRepository } from '@agents/chat';
import { decodeCursor, encodeCursor } from '@agents/core';
import { type IntegrationDatabase, insertUser, openIntegrationDatabase } from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let conversations: ConversationsRepository;
let messages: MessagesRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  conversations = new ConversationsRepository(database.db);
  messages = new MessagesRepository(database.db);
});
afterAll(() => database?.close());

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);

async function conversation(userId: string, overrides: Partial<ConversationEntity> = {}): Promise<ConversationEntity> {
  const c = Object.assign(new ConversationEntity(), {
    id: randomUUID(),
    userId,
    agentId: 'agent_000000000000000000001',
    title: 'New Chat',
    isArchived: false,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  });
  await conversations.insert(database.dataSource.manager, c);
  return c;
}

let clock = 0;
async function message(c: ConversationEntity, parent: MessageEntity | null, text: string): Promise<MessageEntity> {
  clock += 1;
  const m = Object.assign(new MessageEntity(), {
    id: randomUUID(),
    conversationId: c.id,
    parentMessageId: parent?.id ?? null,
    userId: c.userId,
    sender: parent === null || !parent.isCreatedByUser ? 'User' : 'Agent',
    isCreatedByUser: parent === null || !parent.isCreatedByUser,
    text,
    content: [{ type: 'text', text }],
    unfinished: false,
    error: false,
    agentId: null,
    model: null,
    promptTokens: null,
    completionTokens: null,
    createdAt: at(clock),
  });
  await messages.insert(database.dataSource.manager, m);
  return m;
}

describe('MessagesRepository.threadTo', () => {
  it('returns the branch from the root to the message, not its siblings', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const q1 = await message(c, null, 'q1');
    const a1 = await message(c, q1, 'a1');
    const q2 = await message(c, a1, 'q2');
    await message(c, q2, 'a2 (first try)');
    const q2b = await message(c, a1, 'q2 edited'); // a second branch under a1
    const a2b = await message(c, q2b, 'a2b');

    expect((await messages.threadTo(c.id, a2b.id)).map((m) => m.text)).toEqual(['q1', 'a1', 'q2 edited', 'a2b']);
    expect((await messages.threadTo(c.id, q2.id)).map((m) => m.text)).toEqual(['q1', 'a1', 'q2']);
    expect((await messages.threadTo(c.id, q1.id)).map((m) => m.text)).toEqual(['q1']);
  });

  it('never crosses into another conversation, and knows no message of another one', async () => {
    const user = await insertUser(database.dataSource);
    const c1 = await conversation(user.id);
    const c2 = await conversation(user.id);
    const root = await message(c1, null, 'root in c1');
    const foreign = await message(c2, null, 'in c2');
    await database.dataSource.query('UPDATE messages SET parent_message_id = $1 WHERE id = $2', [root.id, foreign.id]);
    expect(await messages.threadTo(c1.id, foreign.id)).toEqual([]);
    expect((await messages.threadTo(c2.id, foreign.id)).map((m) => m.text)).toEqual(['in c2']);
  });
});

describe('MessagesRepository.pageOfConversation', () => {
  it('lists one conversation in writing order, limit + 1 rows', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const other = await conversation(user.id);
    const q = await message(c, null, 'q');
    await message(other, null, 'elsewhere');
    const a = await message(c, q, 'a');
    await message(c, a, 'q2');
    expect((await messages.pageOfConversation(c.id, 5)).map((m) => m.text)).toEqual(['q', 'a', 'q2']);
    expect((await messages.pageOfConversation(c.id, 1)).map((m) => m.text)).toEqual(['q', 'a']);
    const after = { at: q.createdAt, id: q.id };
    expect((await messages.pageOfConversation(c.id, 5, after)).map((m) => m.text)).toEqual(['a', 'q2']);
  });
});

describe('ConversationsRepository', () => {
  it("finds only the owner's conversation, and treats a malformed id as absent", async () => {
    const owner = await insertUser(database.dataSource);
    const stranger = await insertUser(database.dataSource);
    const c = await conversation(owner.id);
    expect((await conversations.findOwned(owner.id, c.id))?.id).toBe(c.id);
    expect(await conversations.findOwned(stranger.id, c.id)).toBeNull();
    expect(await conversations.findOwned(owner.id, 'not-a-uuid')).toBeNull();
  });

  it('walks the owner’s archived or other conversations newest first with the keyset, ties broken by id', async () => {
    const owner = await insertUser(database.dataSource);
    const other = await insertUser(database.dataSource);
    const mine: ConversationEntity[] = [];
    for (let i = 0; i < 10; i++) {
      mine.push(await conversation(owner.id, { updatedAt: at(i % 3), isArchived: i % 3 === 1 && i > 2 }));
    }
    await conversation(other.id, { updatedAt: at(9) });
    await conversation(other.id, { updatedAt: at(9), isArchived: true });

    const walk = async (archived: boolean): Promise<string[]> => {
      const seen: string[] = [];
      let after: ReturnType<typeof decodeCursor> | undefined;
      for (;;) {
        const rows = await conversations.listOwned(owner.id, archived, 3, after);
        const page = rows.slice(0, 3);
        seen.push(...page.map((r) => r.id));
        if (rows.length <= 3) break;
        const last = page[page.length - 1];
        after = decodeCursor(encodeCursor({ at: last.updatedAt, id: last.id }));
      }
      return seen;
    };
    const expected = (archived: boolean) =>
      mine
        .filter((c) => c.isArchived === archived)
        .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a.id < b.id ? 1 : -1))
        .map((c) => c.id);
    expect(expected(true)).toHaveLength(2);
    expect(await walk(false)).toEqual(expected(false));
    expect(await walk(true)).toEqual(expected(true));
  });
});

describe('MessagesRepository.insertTurn', () => {
  const turn = (userId: string, conversationId: string, id = randomUUID()) =>
    Object.assign(new MessageEntity(), {
      id,
      conversationId,
      parentMessageId: null,
      userId,
      sender: 'User',
      isCreatedByUser: true,
      text: 'Hello',
      content: [{ type: 'text', text: 'Hello' }],
      attachments: [],
      files: [{ file_id: 'f1', filename: 'a.txt', type: 'text/plain', bytes: 3 }],
      unfinished: false,
      error: false,
      agentId: 'agent_000000000000000000001',
      model: null,
      promptTokens: null,
      completionTokens: null,
      createdAt: at(100),
    });

  it('creates the conversation with its first message in one statement, or marks an existing one active', async () => {
    const user = await insertUser(database.dataSource);
    const first = turn(user.id, randomUUID());
    await messages.insertTurn(database.dataSource.manager, first, { title: 'Hello' });
    const created = await conversations.findOwned(user.id, first.conversationId);
    expect(created).toMatchObject({ title: 'Hello', agentId: first.agentId, updatedAt: at(100) });
    expect(await messages.findById(first.id)).toMatchObject({
      text: 'Hello',
      files: first.files,
      content: first.content,
    });

    const next = Object.assign(turn(user.id, first.conversationId), { createdAt: at(200) });
    await messages.insertTurn(database.dataSource.manager, next, null);
    expect((await conversations.findOwned(user.id, first.conversationId))?.updatedAt).toEqual(at(200));
  });

  it('leaves no conversation behind when the message id is taken', async () => {
    const user = await insertUser(database.dataSource);
    const first = turn(user.id, randomUUID());
    await messages.insertTurn(database.dataSource.manager, first, { title: 'Hello' });
    const clash = turn(user.id, randomUUID(), first.id);
    await expect(messages.insertTurn(database.dataSource.manager, clash, { title: 'Again' })).rejects.toMatchObject({
      code: '23505',
    });
    expect(await conversations.findOwned(user.id, clash.conversationId)).toBeNull();
  });
});

describe('MessagesRepository.storeAnswer', () => {
  const answer = (c: ConversationEntity, text: string, createdAt = at(300)) =>
    Object.assign(new MessageEntity(), {
      id: randomUUID(),
      conversationId: c.id,
      parentMessageId: null,
      userId: c.userId,
      sender: 'Agent',
      isCreatedByUser: false,
      text,
      content: [{ type: 'text', text }],
      attachments: [],
      files: [],
      unfinished: false,
      error: false,
      agentId: c.agentId,
      model: 'gpt-test',
      promptTokens: 12,
      completionTokens: 3,
      reasoningTokens: 1,
      cachedTokens: null,
      provider: 'openai',
      agentVersion: 2,
      createdAt,
    });

  it('stores the answer, marks the conversation active and resolves it; a retry keeps the first answer', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id, { title: 'Stored' });
    const first = answer(c, 'forty-two');

    const stored = await messages.storeAnswer(first);
    expect(stored).toMatchObject({ id: c.id, title: 'Stored', userId: user.id, updatedAt: at(300) });
    expect(await messages.findById(first.id)).toMatchObject({
      text: 'forty-two',
      promptTokens: 12,
      reasoningTokens: 1,
      provider: 'openai',
      agentVersion: 2,
    });

    const retried = await messages.storeAnswer({ ...first, text: 'changed', createdAt: at(400) });
    expect(retried?.updatedAt).toEqual(at(400));
    expect((await messages.findById(first.id))?.text).toBe('forty-two');
  });

  it('stores nothing, and resolves null, when the conversation is gone', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    await database.dataSource.manager.delete(ConversationEntity, { id: c.id });
    const orphan = answer(c, 'too late');

    expect(await messages.storeAnswer(orphan)).toBeNull();
    expect(await messages.findById(orphan.id)).toBeNull();
  });

  it('carries other writes in the same statement: when one fails, nothing is stored', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    // A rider of another table, as the usage record rides along in the worker.
    const rider = (first: number) => ({
      ctes: `keyed AS (INSERT INTO chat_idempotency_keys (user_id, key, fingerprint) VALUES ($${first}, $${first + 1}, $${first + 2}))`,
      params: [user.id, 'rider', 'f'.repeat(64)],
    });
    const stored = answer(c, 'with a rider');
    await messages.storeAnswer(stored, rider);
    const keys = () => database.dataSource.query(`SELECT key FROM chat_idempotency_keys WHERE user_id = $1`, [user.id]);
    expect(await keys()).toEqual([{ key: 'rider' }]);

    const failing = answer(c, 'never stored', at(500));
    const violates = () => ({ ctes: `broken AS (INSERT INTO conversations (id) VALUES (NULL))`, params: [] });
    await expect(messages.storeAnswer(failing, violates)).rejects.toMatchObject({ code: '23502' });
    expect(await messages.findById(failing.id)).toBeNull();
    expect((await conversations.findOwned(user.id, c.id))?.updatedAt).toEqual(at(300));
  });
});
