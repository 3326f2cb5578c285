import { randomBytes, randomUUID } from 'node:crypto';
import { ConversationEntity, type ConversationShareEntity, MessageEntity, SharesRepository } from '@agents/chat';
import { type IntegrationDatabase, insertUser, openIntegrationDatabase } from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let shares: SharesRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase(8);
  shares = new SharesRepository(database.db);
});
afterAll(() => database?.close());

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
let clock = 0;
const next = () => new Date(T0 + ++clock * 1000);

async function conversation(userId: string): Promise<ConversationEntity> {
  const at = next();
  const c = Object.assign(new ConversationEntity(), {
    id: randomUUID(),
    userId,
    agentId: 'agent_000000000000000000001',
    title: 'Shared chat',
    createdAt: at,
    updatedAt: at,
  });
  await database.dataSource.manager.insert(ConversationEntity, c);
  return c;
}

async function message(c: ConversationEntity, parent: MessageEntity | null, text: string): Promise<MessageEntity> {
  const m = Object.assign(new MessageEntity(), {
    id: randomUUID(),
    conversationId: c.id,
    parentMessageId: parent?.id ?? null,
    userId: c.userId,
    sender: parent?.isCreatedByUser ? 'Agent' : 'User',
    isCreatedByUser: !parent?.isCreatedByUser,
    text,
    content: [{ type: 'text', text }],
    unfinished: false,
    error: false,
    agentId: null,
    model: null,
    promptTokens: null,
    completionTokens: null,
    createdAt: next(),
  });
  await database.dataSource.manager.insert(MessageEntity, m);
  return m;
}

function share(c: ConversationEntity, overrides: Partial<ConversationShareEntity> = {}): ConversationShareEntity {
  const at = next();
  return {
    id: randomBytes(16).toString('base64url'),
    conversationId: c.id,
    userId: c.userId,
    title: c.title,
    messageId: randomUUID(),
    messageCount: 1,
    messages: [
      {
        messageId: randomUUID(),
        parentMessageId: null,
        sender: 'User',
        isCreatedByUser: true,
        text: 'hi',
        content: [{ type: 'text', text: 'hi' }],
        createdAt: at.toISOString(),
      },
    ],
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

describe('SharesRepository.threadTo', () => {
  it('copies the branch from the root down to the message, not its siblings, root first', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const q1 = await message(c, null, 'q1');
    const a1 = await message(c, q1, 'a1');
    await message(c, a1, 'q2 (first try)');
    const q2b = await message(c, a1, 'q2 edited');
    const a2b = await message(c, q2b, 'a2b');

    const thread = await shares.threadTo(c.id, a2b.id, 10);
    expect(thread.map((m) => m.text)).toEqual(['q1', 'a1', 'q2 edited', 'a2b']);
    expect(thread[0]).toMatchObject({ sender: 'User', isCreatedByUser: true, content: [{ type: 'text', text: 'q1' }] });
    expect(thread[0].createdAt).toEqual(q1.createdAt);
  });

  it('stops at maxMessages rows, the nearest to the message, and knows no message of another conversation', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const other = await conversation(user.id);
    let last: MessageEntity | null = null;
    for (let i = 0; i < 6; i++) last = await message(c, last, `m${i}`);
    expect((await shares.threadTo(c.id, last!.id, 4)).map((m) => m.text)).toEqual(['m2', 'm3', 'm4', 'm5']);
    expect(await shares.threadTo(other.id, last!.id, 10)).toEqual([]);
  });
});

describe('SharesRepository.createWithinLimit', () => {
  it('never lets concurrent creations pass the per-user maximum', async () => {
    const user = await insertUser(database.dataSource);
    const c = await conversation(user.id);
    const results = await Promise.all(Array.from({ length: 6 }, () => shares.createWithinLimit(share(c), 3)));
    expect(results.filter((r) => r !== null)).toHaveLength(3);
    expect(results.find((r) => r !== null)).not.toHaveProperty('messages');
    const [{ count }] = await database.dataSource.query<{ count: number }[]>(
      'SELECT count(*)::int AS count FROM conversation_shares WHERE user_id = $1',
      [user.id],
    );
    expect(count).toBe(3);
  });
});

describe('SharesRepository, owner only', () => {
  it('lists, finds, changes and deletes the owner’s shares only; the public read finds any', async () => {
    const owner = await insertUser(database.dataSource);
    const stranger = await insertUser(database.dataSource);
    const c = await conversation(owner.id);
    const made: ConversationShareEntity[] = [];
    for (let i = 0; i < 3; i++) {
      const s = share(c);
      await shares.createWithinLimit(s, 10);
      made.push(s);
    }
    const [first, second, third] = made;

    const page = await shares.listOwned(owner.id, 2);
    expect(page.map((s) => s.id)).toEqual([third.id, second.id, first.id]);
    expect((page[0] as Partial<ConversationShareEntity>).messages).toBeUndefined();
    const rest = await shares.listOwned(owner.id, 2, { at: second.createdAt, id: second.id });
    expect(rest.map((s) => s.id)).toEqual([first.id]);
    expect(await shares.listOwned(stranger.id, 10)).toEqual([]);

    expect(await shares.findOwned(stranger.id, first.id)).toBeNull();
    expect(await shares.update(stranger.id, first.id, { title: 'mine now' })).toBe(false);
    expect(await shares.deleteOwned(stranger.id, first.id)).toBe(false);
    expect((await shares.findById(first.id))?.title).toBe('Shared chat');

    expect(await shares.update(owner.id, first.id, { title: 'Renamed' })).toBe(true);
    expect((await shares.findOwned(owner.id, first.id))?.title).toBe('Renamed');
    expect((await shares.findById(first.id))?.messages).toEqual(first.messages);
    expect(await shares.deleteOwned(owner.id, first.id)).toBe(true);
    expect(await shares.findById(first.id)).toBeNull();
  });

  it('goes with its conversation', async () => {
    const owner = await insertUser(database.dataSource);
    const c = await conversation(owner.id);
    const s = share(c);
    await shares.createWithinLimit(s, 10);
    await database.dataSource.manager.delete(ConversationEntity, { id: c.id });
    expect(await shares.findById(s.id)).toBeNull();
  });
});
