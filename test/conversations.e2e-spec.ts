import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createUser, type TestUser } from './support/factories';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The read side of conversations over HTTP. Until the chat route lands, conversations are seeded
 * in the database the way the chat service will write them.
 */
const ids = (body: { data: { conversationId: string }[] }) => body.data.map((c) => c.conversationId);
const fields = (body: { details: { field: string }[] }) => body.details.map((d) => d.field);

describe('conversations and messages', () => {
  let t: TestApp;
  let db: Client;
  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  async function seedConversation(user: TestUser, updatedAt: string, texts: string[]): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO conversations (id, user_id, agent_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
      [id, user.id, 'agent_000000000000000000001', `Chat ${updatedAt}`, updatedAt],
    );
    let parent: string | null = null;
    for (const [i, text] of texts.entries()) {
      const messageId = randomUUID();
      await db.query(
        `INSERT INTO messages (id, conversation_id, parent_message_id, user_id, sender, is_created_by_user, text, content, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          messageId,
          id,
          parent,
          user.id,
          i % 2 === 0 ? 'User' : 'Helper',
          i % 2 === 0,
          text,
          JSON.stringify([{ type: 'text', text }]),
          new Date(Date.parse(updatedAt) + i).toISOString(),
        ],
      );
      parent = messageId;
    }
    return id;
  }

  it('lists only the caller’s conversations, newest first, across pages', async () => {
    const me = await createUser(t.http);
    const other = await createUser(t.http);
    const older = await seedConversation(me, '2026-01-01T00:00:00.000Z', ['hi']);
    const newer = await seedConversation(me, '2026-02-01T00:00:00.000Z', ['hello']);
    const newest = await seedConversation(me, '2026-03-01T00:00:00.000Z', ['hey']);
    await seedConversation(other, '2026-04-01T00:00:00.000Z', ['not yours']);

    const first = await t.http.get('/api/convos?limit=2').set(me.auth).expect(200);
    expect(first.body).toMatchObject({ object: 'list', has_more: true, first_id: newest, last_id: newer });
    expect(ids(first.body)).toEqual([newest, newer]);
    const second = await t.http.get(`/api/convos?limit=2&cursor=${first.body.after}`).set(me.auth).expect(200);
    expect(ids(second.body)).toEqual([older]);
    expect(second.body).toMatchObject({ has_more: false, after: null });
  });

  it('returns one conversation to its owner and 404 to anyone else', async () => {
    const me = await createUser(t.http);
    const stranger = await createUser(t.http);
    const id = await seedConversation(me, '2026-01-05T00:00:00.000Z', ['hi']);
    const res = await t.http.get(`/api/convos/${id}`).set(me.auth).expect(200);
    expect(res.body).toEqual({
      conversationId: id,
      title: 'Chat 2026-01-05T00:00:00.000Z',
      agent_id: 'agent_000000000000000000001',
      isArchived: false,
      createdAt: '2026-01-05T00:00:00.000Z',
      updatedAt: '2026-01-05T00:00:00.000Z',
    });
    await t.http.get(`/api/convos/${id}`).set(stranger.auth).expect(404);
    await t.http.get(`/api/convos/${randomUUID()}`).set(me.auth).expect(404);
    await t.http.get('/api/convos/not-a-uuid').set(me.auth).expect(404);
  });

  it('returns the messages with their parent links, in order, only to the owner', async () => {
    const me = await createUser(t.http);
    const stranger = await createUser(t.http);
    const id = await seedConversation(me, '2026-01-07T00:00:00.000Z', ['question', 'answer', 'follow-up']);
    const res = await t.http.get(`/api/messages/${id}`).set(me.auth).expect(200);
    const messages = res.body as Record<string, unknown>[];
    expect(messages.map((m) => m.text)).toEqual(['question', 'answer', 'follow-up']);
    expect(messages[0]).toMatchObject({
      parentMessageId: null,
      isCreatedByUser: true,
      sender: 'User',
      conversationId: id,
    });
    expect(messages[1]).toMatchObject({
      parentMessageId: messages[0].messageId,
      isCreatedByUser: false,
      unfinished: false,
    });
    expect(messages[2].parentMessageId).toBe(messages[1].messageId);
    expect(messages[1].content).toEqual([{ type: 'text', text: 'answer' }]);
    await t.http.get(`/api/messages/${id}`).set(stranger.auth).expect(404);
  });

  describe('GET /api/messages/:conversationId pages', () => {
    /** A conversation of `count` messages all written in the same millisecond, so only ids order them. */
    async function seedMany(user: TestUser, count: number): Promise<{ id: string; messageIds: string[] }> {
      const id = await seedConversation(user, '2026-01-09T00:00:00.000Z', []);
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO messages (id, conversation_id, user_id, sender, is_created_by_user, text, content, created_at)
         SELECT gen_random_uuid(), $1, $2, 'User', true, 'm' || i, '[]'::jsonb, '2026-01-09T00:00:01.000Z'
           FROM generate_series(1, $3) AS i
         RETURNING id`,
        [id, user.id, count],
      );
      return { id, messageIds: rows.map((r) => r.id).sort() };
    }
    const nextLink = (res: { headers: Record<string, string | undefined> }): string | undefined =>
      /^<([^>]+)>; rel="next"$/.exec(res.headers.link ?? '')?.[1];

    it('walks a conversation page by page, oldest first, following the Link header', async () => {
      const me = await createUser(t.http);
      const { id, messageIds } = await seedMany(me, 7);
      const seen: string[] = [];
      let url: string | undefined = `/api/messages/${id}?limit=3`;
      const sizes: number[] = [];
      while (url !== undefined) {
        const res = await t.http.get(url).set(me.auth).expect(200);
        expect(Array.isArray(res.body)).toBe(true);
        sizes.push(res.body.length as number);
        seen.push(...(res.body as { messageId: string }[]).map((m) => m.messageId));
        url = nextLink(res);
      }
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen).toEqual(messageIds);
    });

    it('answers at most 100 messages by default and at most 1000 when asked', async () => {
      const me = await createUser(t.http);
      const { id, messageIds } = await seedMany(me, 101);
      const first = await t.http.get(`/api/messages/${id}`).set(me.auth).expect(200);
      expect(first.body).toHaveLength(100);
      expect(nextLink(first)).toMatch(new RegExp(`^/api/messages/${id}\\?limit=100&cursor=[A-Za-z0-9_-]+$`));
      const rest = await t.http.get(nextLink(first)!).set(me.auth).expect(200);
      expect((rest.body as { messageId: string }[]).map((m) => m.messageId)).toEqual([messageIds[100]]);
      expect(rest.headers.link).toBeUndefined();
      const all = await t.http.get(`/api/messages/${id}?limit=1000`).set(me.auth).expect(200);
      expect(all.body).toHaveLength(101);
      expect(all.headers.link).toBeUndefined();
      expect(fields((await t.http.get(`/api/messages/${id}?limit=1001`).set(me.auth).expect(400)).body)).toEqual([
        'limit',
      ]);
      expect(fields((await t.http.get(`/api/messages/${id}?limit=0`).set(me.auth).expect(400)).body)).toEqual([
        'limit',
      ]);
      expect(fields((await t.http.get(`/api/messages/${id}?cursor=nope`).set(me.auth).expect(400)).body)).toEqual([
        'cursor',
      ]);
    });
  });

  it('needs a token and validates the page parameters', async () => {
    await t.http.get('/api/convos').expect(401);
    const me = await createUser(t.http);
    const res = await t.http.get('/api/convos?limit=0').set(me.auth).expect(400);
    expect(fields(res.body)).toEqual(['limit']);
    const bad = await t.http.get('/api/convos?cursor=nope').set(me.auth).expect(400);
    expect(fields(bad.body)).toEqual(['cursor']);
    // Well-formed, but naming an id that is no conversation id: still a 400, never a database error.
    const forged = Buffer.from(JSON.stringify([new Date().toISOString(), 'not-a-uuid'])).toString('base64url');
    const res2 = await t.http.get(`/api/convos?cursor=${forged}`).set(me.auth).expect(400);
    expect(fields(res2.body)).toEqual(['cursor']);
  });
});
