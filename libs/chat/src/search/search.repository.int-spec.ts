import { randomUUID } from 'node:crypto';
import {
  ConversationEntity,
  MessageEntity,
  SearchRepository,
  messageSearchSql,
  type RankedPosition,
} from '@agents/chat';
import { type IntegrationDatabase, insertUser, openIntegrationDatabase } from '@agents/testing/integration-database';

let database: IntegrationDatabase;
let search: SearchRepository;

beforeAll(async () => {
  database = await openIntegrationDatabase();
  search = new SearchRepository(database.db);
});
afterAll(() => database?.close());

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
let clock = 0;
const next = () => new Date(T0 + ++clock * 1000);

async function conversation(userId: string, title = 'New Chat'): Promise<ConversationEntity> {
  const at = next();
  const c = Object.assign(new ConversationEntity(), {
    id: randomUUID(),
    userId,
    agentId: 'agent_000000000000000000001',
    title,
    createdAt: at,
    updatedAt: at,
  });
  await database.dataSource.manager.insert(ConversationEntity, c);
  return c;
}

async function message(c: ConversationEntity, text: string, createdAt = next()): Promise<MessageEntity> {
  const m = Object.assign(new MessageEntity(), {
    id: randomUUID(),
    conversationId: c.id,
    parentMessageId: null,
    userId: c.userId,
    sender: 'User',
    isCreatedByUser: true,
    text,
    content: [{ type: 'text', text }],
    unfinished: false,
    error: false,
    agentId: null,
    model: null,
    promptTokens: null,
    completionTokens: null,
    createdAt,
  });
  await database.dataSource.manager.insert(MessageEntity, m);
  if (createdAt > c.updatedAt) {
    c.updatedAt = createdAt;
    await database.dataSource.manager.update(ConversationEntity, { id: c.id }, { updatedAt: createdAt });
  }
  return m;
}

/** Every page of a message search, walked with the keyset the service turns into cursors. */
async function walk(userId: string, text: string, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let after: RankedPosition | undefined;
  for (let page = 0; page < 100; page++) {
    const rows = await search.messages(userId, text, limit, after);
    const shown = rows.slice(0, limit);
    seen.push(...shown.map((r) => r.id));
    if (rows.length <= limit) return seen;
    const last = shown[shown.length - 1];
    after = { rank: last.rank, at: last.createdAt, id: last.id };
  }
  throw new Error('the walk did not end');
}

describe('SearchRepository.messages', () => {
  it('finds only the caller’s messages, through stemming, best first', async () => {
    const me = await insertUser(database.dataSource);
    const other = await insertUser(database.dataSource);
    const mine = await conversation(me.id, 'Holidays');
    const theirs = await conversation(other.id);
    const once = await message(mine, 'We should plan the trip.');
    const twice = await message(mine, 'Plans, plans and more planning for the trip.');
    await message(mine, 'Nothing relevant here.');
    await message(theirs, 'Their plan is secret and their planning too.');

    const hits = await search.messages(me.id, 'plan', 10);
    expect(hits.map((h) => h.id)).toEqual([twice.id, once.id]);
    expect(hits[0]).toMatchObject({
      conversationId: mine.id,
      title: 'Holidays',
      sender: 'User',
      isCreatedByUser: true,
    });
    expect(hits[0].rank).toBeGreaterThan(hits[1].rank);
    expect(await search.messages(other.id, 'trip', 10)).toEqual([]);
  });

  it('marks matches with « and » in the snippet, and never leaves the text’s own « » as markers', async () => {
    const me = await insertUser(database.dataSource);
    const c = await conversation(me.id);
    await message(c, 'He said «budget» twice <b>and</b> the budget <script>alert(1)</script> grew.');
    const [hit] = await search.messages(me.id, 'budget', 10);
    expect(hit.snippet).toContain('«budget»');
    expect(hit.snippet).toContain('‹«budget»›');
    expect(hit.snippet.match(/«/g)).toHaveLength(2);
    expect(hit.snippet.match(/»/g)).toHaveLength(2);
  });

  it('takes web search syntax: quoted phrases, or, and excluded words', async () => {
    const me = await insertUser(database.dataSource);
    const c = await conversation(me.id);
    const red = await message(c, 'The red apple fell.');
    const green = await message(c, 'A green apple, not a red one.');
    const pear = await message(c, 'A red pear.');
    const ids = async (q: string) => (await search.messages(me.id, q, 10)).map((h) => h.id).sort();

    expect(await ids('"red apple"')).toEqual([red.id]);
    expect(await ids('apple -green')).toEqual([red.id]);
    expect(await ids('pear or green')).toEqual([green.id, pear.id].sort());
    expect(await ids('red apple')).toEqual([red.id, green.id].sort());
  });

  it('walks every match exactly once across pages, equal ranks newest first', async () => {
    const me = await insertUser(database.dataSource);
    const c = await conversation(me.id);
    const sameTime = next();
    const written: MessageEntity[] = [];
    for (let i = 0; i < 7; i++) written.push(await message(c, `walrus number ${i}`, i < 3 ? sameTime : undefined));
    const strong = await message(c, 'walrus walrus walrus');

    const seen = await walk(me.id, 'walrus', 3);
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    expect(seen[0]).toBe(strong.id);
    // Equal ranks: newest first, and the three written at one instant by id, descending.
    const expected = written
      .slice()
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((m) => m.id);
    expect(seen.slice(1)).toEqual(expected);
  });

  it('stores a message too long for one tsvector, and searches its first 100,000 characters', async () => {
    const me = await insertUser(database.dataSource);
    const c = await conversation(me.id);
    // ~1.3 MB of distinct tokens: as a whole, more than the 1 MB a tsvector holds.
    const tokens = Array.from({ length: 150_000 }, (_, i) => `t${i.toString(36).padStart(6, '0')}`);
    const long = await message(c, `platypus ${tokens.join(' ')} echidna`);
    expect((await search.messages(me.id, 'platypus', 10)).map((h) => h.id)).toEqual([long.id]);
    expect(await search.messages(me.id, 'echidna', 10)).toEqual([]);
  });

  it('tells a search with nothing to look for and one that only excludes words', async () => {
    expect(await search.shapeOf('the and of')).toBe('empty');
    expect(await search.shapeOf('!!! ...')).toBe('empty');
    expect(await search.shapeOf('-secret')).toBe('exclusions-only');
    expect(await search.shapeOf('apple or -secret')).toBe('exclusions-only');
    expect(await search.shapeOf('apple -secret')).toBe('indexable');
    expect(await search.shapeOf('"the apple"')).toBe('indexable');
  });
});

describe('SearchRepository.conversations', () => {
  it('ranks a title match above messages that repeat the word, and gives each its best message', async () => {
    const me = await insertUser(database.dataSource);
    const other = await insertUser(database.dataSource);
    const titled = await conversation(me.id, 'Quarterly budget');
    const talky = await conversation(me.id, 'Misc');
    await message(titled, 'Unrelated words.');
    await message(talky, 'budget once');
    const best = await message(talky, 'budget budget budget, the budget again');
    await conversation(me.id, 'Nothing');
    const foreign = await conversation(other.id, 'budget of someone else');
    await message(foreign, 'budget budget');

    const hits = await search.conversations(me.id, 'budget', 10);
    expect(hits.map((h) => h.conversation.id)).toEqual([titled.id, talky.id]);
    expect(hits[0]).toMatchObject({ messageId: null, snippet: null });
    expect(hits[1].messageId).toBe(best.id);
    expect(hits[1].snippet).toContain('«budget»');
    expect(hits[1].conversation).toMatchObject({ title: 'Misc', userId: me.id });
  });

  it('pages with the keyset, ties by latest activity', async () => {
    const me = await insertUser(database.dataSource);
    const made: ConversationEntity[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await conversation(me.id);
      await message(c, 'ocelot sighting');
      made.push(c);
    }
    const first = await search.conversations(me.id, 'ocelot', 2);
    expect(first).toHaveLength(3);
    const last = first[1];
    const second = await search.conversations(me.id, 'ocelot', 2, {
      rank: last.rank,
      at: last.conversation.updatedAt,
      id: last.conversation.id,
    });
    const order = [...first.slice(0, 2), ...second].map((h) => h.conversation.id);
    expect(order.slice(0, 4)).toEqual(
      made
        .slice()
        .reverse()
        .map((c) => c.id)
        .slice(0, 4),
    );
  });
});

describe('the message search at 100,000 messages of 200 users', () => {
  let userId: string;

  beforeAll(async () => {
    const users = await Promise.all(Array.from({ length: 200 }, () => insertUser(database.dataSource)));
    userId = users[0].id;
    await database.dataSource.query(
      `INSERT INTO conversations (id, user_id, agent_id, title, created_at, updated_at)
       SELECT gen_random_uuid(), u, 'agent_000000000000000000001', 'Chat ' || n, now(), now()
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(u, n)`,
      [users.map((u) => u.id)],
    );
    await database.dataSource.query(
      `INSERT INTO messages (id, conversation_id, user_id, sender, is_created_by_user, text, content, created_at)
       SELECT gen_random_uuid(), c.id, c.user_id, 'User', true,
              'note ' || s || ' about the ' || (ARRAY['harbour','market','garden','station'])[1 + s % 4]
              || CASE WHEN s % 250 = 0 THEN ' and a narwhal' ELSE '' END,
              '[]', now() - s * interval '1 minute'
         FROM conversations c, generate_series(1, 500) AS s
        WHERE c.user_id = ANY($1::uuid[])`,
      [users.map((u) => u.id)],
    );
    await database.dataSource.query('ANALYZE messages');
    await database.dataSource.query('ANALYZE conversations');
  });

  const plan = async (text: string): Promise<string> => {
    const rows = await database.dataSource.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${messageSearchSql(false)}`, [
      userId,
      text,
      21,
    ]);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  it.each(['narwhal', 'harbour'])('finds %p through the GIN index on (user_id, tsv), no Seq Scan', async (text) => {
    const explained = await plan(text);
    expect(explained).toMatch(/Bitmap Index Scan on messages_user_tsv_idx/);
    expect(explained).not.toMatch(/Seq Scan on messages/);
  });

  it('ranks only the caller’s matches', async () => {
    expect(await search.messages(userId, 'narwhal', 50)).toHaveLength(2);
    expect(await search.messages(userId, 'harbour', 200)).toHaveLength(125);
  });
});
