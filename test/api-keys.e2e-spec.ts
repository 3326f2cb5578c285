import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startTestApp, type TestApp } from './support/test-app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY = /^sk-[0-9a-f]{64}$/;
const CREATED_FIELDS = ['createdAt', 'expiresAt', 'id', 'key', 'keyPrefix', 'name'];
const LISTED_FIELDS = ['createdAt', 'expiresAt', 'id', 'keyPrefix', 'lastUsedAt', 'name'];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
/** Keys created this far apart have distinct (millisecond) creation times, so their order is known. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

interface ListedKey {
  id: string;
  name: string;
}

/** The keys of a list response, in order. */
const keysOf = (res: Response) => (res.body as { data: ListedKey[] }).data;

/** The fields a 400 names in `details`. */
function badFields(res: Response): string[] {
  expect(res.status).toBe(400);
  return (res.body.details as { field: string }[]).map((d) => d.field);
}

describe('API keys (e2e)', () => {
  let t: TestApp;
  let db: Client;
  let ada: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    ada = await createUser(t.http);
    bob = await createUser(t.http);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const create = (user: TestUser, body: Record<string, unknown>) =>
    t.http.post('/api/api-keys').set(user.auth).send(body);
  const list = (user: TestUser, query = '') => t.http.get(`/api/api-keys${query}`).set(user.auth);
  const remove = (user: TestUser, id: string) => t.http.delete(`/api/api-keys/${id}`).set(user.auth);
  const newKey = async (user: TestUser, body: Record<string, unknown> = { name: 'CI' }) =>
    (await create(user, body).expect(201)).body as { id: string; key: string; keyPrefix: string; name: string };

  describe('POST /api/api-keys', () => {
    it('answers 201 with the key, shown once, in the sk- + 64 hex format', async () => {
      const res = await create(ada, { name: '  Deploy bot  ' }).expect(201);
      expect(Object.keys(res.body).sort()).toEqual(CREATED_FIELDS);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Deploy bot',
        key: expect.stringMatching(KEY),
        keyPrefix: (res.body as { key: string }).key.slice(0, 8),
        createdAt: expect.stringMatching(ISO),
        expiresAt: null,
      });
      expect(res.body.keyPrefix).toMatch(/^sk-[0-9a-f]{5}$/);
    });

    it('stores only the SHA-256 of the key: no column of any table holds the key', async () => {
      const { id, key } = await newKey(ada);
      const { rows } = await db.query<{ key_hash: string; key_prefix: string }>(
        'SELECT key_hash, key_prefix FROM api_keys WHERE id = $1',
        [id],
      );
      expect(rows).toEqual([{ key_hash: sha256(key), key_prefix: key.slice(0, 8) }]);

      const secretPart = key.slice(3);
      const tables = await db.query<{ name: string }>(
        `SELECT quote_ident(table_name) AS name FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
      );
      expect(tables.rows.map((r) => r.name)).toContain('api_keys');
      for (const { name } of tables.rows) {
        const hits = await db.query(`SELECT 1 FROM ${name} x WHERE strpos(x::text, $1) > 0`, [secretPart]);
        expect({ table: name, hits: hits.rowCount }).toEqual({ table: name, hits: 0 });
      }
    });

    it('issues a different key every time', async () => {
      const [a, b] = [await newKey(ada), await newKey(ada)];
      expect(a.key).not.toBe(b.key);
      expect(a.id).not.toBe(b.id);
    });

    it('accepts an expiry in the future and reports it in UTC', async () => {
      const expiresAt = new Date(Date.now() + 30 * 86_400_000);
      expiresAt.setUTCMilliseconds(0);
      const offset = expiresAt.toISOString().replace('Z', '+00:00');
      const res = await create(ada, { name: 'Monthly', expiresAt: offset }).expect(201);
      expect(res.body.expiresAt).toBe(expiresAt.toISOString());
    });

    it.each([
      ['in the past', '2020-01-01T00:00:00Z'],
      ['more than two years ahead', inDays(3 * 365)],
      ['not a date', 'next tuesday'],
      ['without a time zone', '2030-01-01T00:00:00'],
      ['a number', 1893456000000],
    ])('answers 400 naming expiresAt for an expiry %s', async (_label, expiresAt) => {
      expect(badFields(await create(ada, { name: 'CI', expiresAt }))).toEqual(['expiresAt']);
    });

    it.each([
      ['missing', {}],
      ['empty', { name: '' }],
      ['blank', { name: '   ' }],
      ['over 100 characters', { name: 'x'.repeat(101) }],
      ['not a string', { name: 42 }],
    ])('answers 400 naming name when it is %s', async (_label, body) => {
      expect(badFields(await create(ada, body))).toEqual(['name']);
    });

    it('accepts a name of exactly 100 characters, and rejects unknown fields', async () => {
      await create(ada, { name: 'x'.repeat(100) }).expect(201);
      expect(badFields(await create(ada, { name: 'CI', key: `sk-${'0'.repeat(64)}` }))).toEqual(['key']);
    });

    it('answers 409 once a user holds 100 keys, without affecting other users', async () => {
      const carol = await createUser(t.http);
      // 99 keys straight into the table (fast); the 100th and 101st through the API.
      await db.query(
        `INSERT INTO api_keys (user_id, name, key_hash, key_prefix)
         SELECT $1, 'bulk ' || i, md5(random()::text || i) || md5(random()::text || i), 'sk-00000'
           FROM generate_series(1, 99) AS i`,
        [carol.id],
      );
      await create(carol, { name: 'the hundredth' }).expect(201);
      const res = await create(carol, { name: 'one too many' }).expect(409);
      expect(res.body).toEqual({ error: 'Conflict', message: expect.stringContaining('100') });
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1', [
        carol.id,
      ]);
      expect(rows[0].n).toBe(100);
      await newKey(bob);

      const [first] = keysOf(await list(carol, '?limit=1'));
      await remove(carol, first.id).expect(204);
      await create(carol, { name: 'fits again' }).expect(201);
    });
  });

  describe('GET /api/api-keys', () => {
    it('lists only the caller’s keys, newest first, with metadata and never the key or its hash', async () => {
      const dave = await createUser(t.http);
      const older = await newKey(dave, { name: 'older' });
      await pause();
      const newer = await newKey(dave, { name: 'newer', expiresAt: inDays(10) });
      await newKey(bob, { name: 'not dave’s' });

      const res = await list(dave).expect(200);
      expect(res.body).toMatchObject({ object: 'list', has_more: false, after: null });
      expect(keysOf(res).map((k) => k.id)).toEqual([newer.id, older.id]);
      for (const k of res.body.data) expect(Object.keys(k).sort()).toEqual(LISTED_FIELDS);
      expect(res.body.data[1]).toEqual({
        id: older.id,
        name: 'older',
        keyPrefix: older.keyPrefix,
        createdAt: expect.stringMatching(ISO),
        expiresAt: null,
        lastUsedAt: null,
      });
      const text = JSON.stringify(res.body);
      for (const k of [older, newer]) {
        expect(text).not.toContain(k.key.slice(3));
        expect(text).not.toContain(sha256(k.key));
      }
    });

    it('pages with limit and cursor', async () => {
      const erin = await createUser(t.http);
      const made = [];
      for (const name of ['a', 'b', 'c']) {
        made.push(await newKey(erin, { name }));
        await pause();
      }
      const ids = made.map((k) => k.id).reverse();

      const first = await list(erin, '?limit=2').expect(200);
      expect(first.body).toMatchObject({ has_more: true, first_id: ids[0], last_id: ids[1] });
      expect(keysOf(first).map((k) => k.id)).toEqual(ids.slice(0, 2));
      const second = await list(erin, `?limit=2&cursor=${first.body.after as string}`).expect(200);
      expect(second.body).toMatchObject({ has_more: false, after: null });
      expect(keysOf(second).map((k) => k.id)).toEqual(ids.slice(2));
    });

    it('answers 400 naming cursor for a cursor it did not issue, and limit out of range', async () => {
      const forged = Buffer.from(JSON.stringify([new Date().toISOString(), 'not-a-uuid'])).toString('base64url');
      expect(badFields(await list(ada, `?cursor=${forged}`))).toEqual(['cursor']);
      expect(badFields(await list(ada, '?cursor=garbage!'))).toEqual(['cursor']);
      expect(badFields(await list(ada, '?limit=101'))).toEqual(['limit']);
    });
  });

  describe('DELETE /api/api-keys/:id', () => {
    it('deletes the caller’s key (204): gone from the list and from the database', async () => {
      const key = await newKey(ada, { name: 'doomed' });
      await remove(ada, key.id).expect(204);
      const listed = keysOf(await list(ada, '?limit=100')).map((k) => k.id);
      expect(listed).not.toContain(key.id);
      expect((await db.query('SELECT 1 FROM api_keys WHERE id = $1', [key.id])).rowCount).toBe(0);
      await remove(ada, key.id).expect(404);
    });

    it('answers 404 for another user’s key and leaves it alone', async () => {
      const bobs = await newKey(bob, { name: 'bob’s' });
      const res = await remove(ada, bobs.id).expect(404);
      expect(res.body).toEqual({ error: 'Not Found', message: expect.any(String) });
      expect((await db.query('SELECT 1 FROM api_keys WHERE id = $1', [bobs.id])).rowCount).toBe(1);
    });

    it('answers 404 for an unknown or malformed id', async () => {
      await remove(ada, randomUUID()).expect(404);
      await remove(ada, 'not-a-uuid').expect(404);
    });
  });

  describe('authentication with a key', () => {
    it('is refused on ordinary routes with a 401 saying where keys work', async () => {
      const { key } = await newKey(ada);
      const res = await t.http.get('/api/user').set(bearer(key)).expect(401);
      expect(res.body).toEqual({ error: 'Unauthorized', message: expect.stringContaining('/api/agents/v1') });
      await t.http.get('/api/agents').set(bearer(key)).expect(401);
    });

    it('cannot manage API keys: list, create and delete are JWT only', async () => {
      const { id, key } = await newKey(ada);
      await t.http.get('/api/api-keys').set(bearer(key)).expect(401);
      await t.http.post('/api/api-keys').set(bearer(key)).send({ name: 'minted by a key' }).expect(401);
      await t.http.delete(`/api/api-keys/${id}`).set(bearer(key)).expect(401);
      expect((await db.query('SELECT 1 FROM api_keys WHERE id = $1', [id])).rowCount).toBe(1);
      const names = keysOf(await list(ada, '?limit=100')).map((k) => k.name);
      expect(names).not.toContain('minted by a key');
    });

    it('needs credentials for every key route', async () => {
      await t.http.get('/api/api-keys').expect(401);
      await t.http.post('/api/api-keys').send({ name: 'anonymous' }).expect(401);
      await t.http.delete(`/api/api-keys/${randomUUID()}`).expect(401);
    });
  });

  describe('on the OpenAI-compatible API (/api/agents/v1)', () => {
    const models = (token: string) => t.http.get('/api/agents/v1/models').set(bearer(token));
    const modelIds = (res: Response) => (res.body as { data: { id: string }[] }).data.map((m) => m.id);
    const lastUsedAt = async (id: string) =>
      (await db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [id])).rows[0]
        ?.last_used_at ?? null;

    /** 401 in OpenAI's envelope, code invalid_api_key. */
    function expectInvalidKey(res: Response, message: RegExp): void {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'invalid_api_key', message: expect.stringMatching(message) } });
    }

    it('acts as the key’s owner: sees the owner’s agents, not another user’s', async () => {
      const owner = await createUser(t.http);
      const mine = await createAgent(t.http, owner);
      const theirs = await createAgent(t.http, bob);
      const { key } = await newKey(owner);

      const res = await models(key).expect(200);
      expect(modelIds(res)).toContain(mine.id);
      expect(modelIds(res)).not.toContain(theirs.id);
      // A JWT still works there, with the same answer.
      expect(modelIds(await models(owner.token).expect(200))).toEqual(modelIds(res));
    });

    it('records lastUsedAt on use, at most once a minute', async () => {
      const { id, key } = await newKey(ada);
      expect(await lastUsedAt(id)).toBeNull();
      const before = Date.now();
      await models(key).expect(200);
      let first: Date | null = null;
      for (let i = 0; i < 100 && first === null; i += 1) {
        first = await lastUsedAt(id);
        if (first === null) await pause();
      }
      expect(first?.getTime()).toBeGreaterThanOrEqual(before - 5);
      const listed = keysOf(await list(ada, '?limit=100')).find((k) => k.id === id) as ListedKey & {
        lastUsedAt: string;
      };
      expect(listed.lastUsedAt).toBe(first?.toISOString());

      await models(key).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await lastUsedAt(id)).toEqual(first);
    });

    it('refuses a deleted key on the very next request', async () => {
      const { id, key } = await newKey(ada);
      await models(key).expect(200);
      await remove(ada, id).expect(204);
      expectInvalidKey(await models(key), /invalid/i);
    });

    it('refuses an expired key, saying it expired', async () => {
      const { id, key } = await newKey(ada, { name: 'short-lived', expiresAt: inDays(1) });
      await models(key).expect(200);
      await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
      expectInvalidKey(await models(key), /expired/i);
    });

    it('refuses a key whose owner was deleted, and an unknown key', async () => {
      const gone = await createUser(t.http);
      const { key } = await newKey(gone);
      await models(key).expect(200);
      await db.query('DELETE FROM users WHERE id = $1', [gone.id]);
      expectInvalidKey(await models(key), /invalid/i);
      expectInvalidKey(await models(`sk-${'0'.repeat(64)}`), /invalid/i);
    });
  });

  it('documents the routes and the api-key security scheme in the OpenAPI document', async () => {
    const doc = (await t.http.get('/api/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, Record<string, unknown>> };
    };
    expect(doc.components.securitySchemes['api-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths['/api/api-keys'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/api/api-keys/{id}']?.delete?.tags).toEqual(['api-keys']);
    expect(doc.paths['/api/api-keys']?.post?.security).toEqual([{ bearer: [] }]);
  });
});
