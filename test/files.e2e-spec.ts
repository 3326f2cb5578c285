import { randomUUID } from 'node:crypto';
import { Document, Packer, Paragraph } from 'docx';
import { PDFDocument } from 'pdf-lib';
import type { Response } from 'supertest';
import { createAgent, createUser, type TestUser } from './support/factories';
import { share } from './support/sharing';
import { startTestApp, type TestApp } from './support/test-app';

async function makePdf(text: string): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  pdf.addPage().drawText(text);
  return Buffer.from(await pdf.save());
}

async function makeDocx(text: string): Promise<Buffer> {
  const doc = new Document({ sections: [{ children: [new Paragraph(text)] }] });
  return Packer.toBuffer(doc);
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);

interface FileBody {
  file_id: string;
  id: string;
  filename: string;
  filepath: string;
  type: string;
  bytes: number;
  purpose: string;
  status: string;
  agent_id: string | null;
  chunks: number;
  pages: number | null;
  updatedAt: string;
}

function expectError(res: Response, status: number, field: string, message?: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.body.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
  if (message) expect(JSON.stringify(res.body)).toMatch(message);
}

describe('files (e2e)', () => {
  let t: TestApp;
  let owner: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ FILE_MAX_BYTES: String(64 * 1024), FILE_QUOTA_BYTES: String(1024 * 1024) });
    await createUser(t.http, { name: 'Files Admin' }); // the first account is an ADMIN, who may see everything
    owner = await createUser(t.http);
    other = await createUser(t.http);
  });
  afterAll(() => t.close());

  const upload = (user: TestUser, data: Buffer, name: string, fields: Record<string, string> = {}) => {
    let req = t.http.post('/api/files').set(user.auth);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req.attach('file', data, name);
  };
  const uploaded = async (user: TestUser, data: Buffer, name: string, fields: Record<string, string> = {}) => {
    const res = await upload(user, data, name, fields);
    expect(res.status).toBe(201);
    return res.body as FileBody;
  };
  /** The file once its processing (text extraction and indexing, off the request path) is over. */
  const processed = async (user: TestUser, id: string): Promise<FileBody> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const file = (await t.http.get(`/api/files/${id}`).set(user.auth).expect(200)).body as FileBody;
      if (file.status !== 'processing' || Date.now() > deadline) return file;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  describe('upload, read, download, delete', () => {
    it.each([
      ['report.pdf', () => makePdf('Leave policy'), 'application/pdf'],
      [
        'letter.docx',
        () => makeDocx('Dear reader'),
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      ],
      ['pixel.png', () => Promise.resolve(PNG), 'image/png'],
      ['notes.txt', () => Promise.resolve(Buffer.from('héllo')), 'text/plain'],
      ['README.md', () => Promise.resolve(Buffer.from('# Title\n')), 'text/markdown'],
      ['data.csv', () => Promise.resolve(Buffer.from('a,b\n1,2\n')), 'text/csv'],
      ['data.json', () => Promise.resolve(Buffer.from('{"a":1}')), 'application/json'],
      ['main.py', () => Promise.resolve(Buffer.from('print(1)\n')), 'text/x-python'],
    ])('stores %s as %s and gives back the same bytes', async (name, make, mime) => {
      const data = await make();
      const file = await uploaded(owner, data, name);
      expect(file).toMatchObject({
        file_id: file.id,
        filename: name,
        filepath: `/api/files/${file.id}/content`,
        type: mime,
        bytes: data.length,
        purpose: 'attachment',
        status: 'processing', // text is extracted and indexed off the request path
        error: null,
        agent_id: null,
        conversation_id: null,
        chunks: 0,
      });
      const ready = await processed(owner, file.id);
      const { status: _status, chunks: _chunks, pages: _pages, updatedAt: _updated, ...unchanged } = file;
      expect(ready).toMatchObject({ ...unchanged, status: 'ready', error: null });
      const content = await t.http
        .get(`/api/files/${file.id}/content`)
        .set(owner.auth)
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(Buffer.compare(content.body as Buffer, data)).toBe(0);
      expect(content.headers['content-type']).toContain(mime);
      expect(content.headers['content-length']).toBe(String(data.length));
      expect(content.headers['x-content-type-options']).toBe('nosniff');
      expect(content.headers['content-disposition']).toBe(
        `${mime.startsWith('image/') ? 'inline' : 'attachment'}; filename="${name}"; filename*=UTF-8''${name}`,
      );
    });

    it('sanitizes the file name', async () => {
      const file = await uploaded(owner, Buffer.from('x'), '../../etc/résumé\u202Egnp.txt');
      expect(file.filename).toBe('résuméQgnp.txt'.replace('Q', ''));
    });

    it('answers 404 to anyone but the owner, and deletes', async () => {
      const file = await uploaded(owner, Buffer.from('secret'), 'secret.txt');
      await t.http.get(`/api/files/${file.id}`).set(other.auth).expect(404);
      await t.http.get(`/api/files/${file.id}/content`).set(other.auth).expect(404);
      await t.http.delete(`/api/files/${file.id}`).set(other.auth).expect(404);
      await t.http.delete(`/api/files/${file.id}`).set(owner.auth).expect(204);
      await t.http.get(`/api/files/${file.id}`).set(owner.auth).expect(404);
      await t.http.get(`/api/files/${file.id}/content`).set(owner.auth).expect(404);
      await t.http.get(`/api/files/${randomUUID()}`).set(owner.auth).expect(404);
    });

    it('validates :id as a UUID', async () => {
      expectError(await t.http.get('/api/files/not-a-uuid').set(owner.auth), 400, 'id');
      expectError(await t.http.delete('/api/files/not-a-uuid').set(owner.auth), 400, 'id');
    });

    it('needs credentials', async () => {
      await t.http.get('/api/files').expect(401);
      await t.http.post('/api/files').attach('file', Buffer.from('x'), 'a.txt').expect(401);
    });
  });

  describe('GET /api/files', () => {
    it('lists only the caller’s files, newest first, in pages', async () => {
      const user = await createUser(t.http);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await uploaded(user, Buffer.from(`n${i}`), `n${i}.txt`)).id);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const res = await t.http
          .get('/api/files')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(user.auth)
          .expect(200);
        expect(res.body.object).toBe('list');
        seen.push(...(res.body.data as FileBody[]).map((f) => f.id));
        if (!res.body.has_more) break;
        cursor = res.body.after as string;
      }
      expect(seen).toEqual([...ids].reverse());
      const others = await t.http.get('/api/files').set(other.auth).expect(200);
      expect((others.body.data as FileBody[]).map((f) => f.id)).not.toEqual(expect.arrayContaining([ids[0]]));
      expectError(await t.http.get('/api/files?limit=101').set(user.auth), 400, 'limit');
      expectError(await t.http.get('/api/files?cursor=bogus').set(user.auth), 400, 'cursor');
    });
  });

  describe('limits', () => {
    it('refuses a missing file with 400 naming file', async () => {
      expectError(await t.http.post('/api/files').set(owner.auth).field('tool_resource', 'context'), 400, 'file');
      expectError(await t.http.post('/api/files').set(owner.auth).send({}), 400, 'file');
    });

    it('refuses a file over FILE_MAX_BYTES with 413 naming file and the limit', async () => {
      const res = await upload(owner, Buffer.alloc(64 * 1024 + 1, 0x61), 'big.txt');
      expectError(res, 413, 'file', /65536/);
    });

    it('refuses content that is not what its name says with 415', async () => {
      expectError(await upload(owner, Buffer.from('not a pdf'), 'fake.pdf'), 415, 'file', /PDF.*text/);
      expectError(await upload(owner, EXE, 'cat.png'), 415, 'file', /executable/);
      expectError(await upload(owner, Buffer.from('{"a":'), 'broken.json'), 415, 'file', /JSON/);
      expectError(await upload(owner, PNG, 'image.docx'), 415, 'file', /PNG/);
    });

    it('enforces the quota, also against concurrent uploads, and reports usage in /config', async () => {
      const user = await createUser(t.http);
      const chunk = Buffer.alloc(60 * 1024, 0x61); // 17 fit in 1 MiB, 18 do not
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => upload(user, chunk, `c${i}.txt`)));
      const created = results.filter((r) => r.status === 201).length;
      expect(created).toBe(17);
      for (const r of results.filter((x) => x.status !== 201)) expectError(r, 413, 'file', /quota/);
      const config = await t.http.get('/api/files/config').set(user.auth).expect(200);
      expect(config.body).toMatchObject({
        maxBytes: 64 * 1024,
        quotaBytes: 1024 * 1024,
        usedBytes: 17 * chunk.length,
        storage: 'database',
      });
      expect(config.body.acceptedTypes).toEqual(
        expect.arrayContaining([{ extensions: ['pdf'], mimeType: 'application/pdf' }]),
      );
    });
  });

  describe('agents', () => {
    it('attaches an upload to an agent as a new version, lists it, and detaches it on delete', async () => {
      const agent = await createAgent(t.http, owner);
      const pdf = await makePdf('Handbook');
      const file = await uploaded(owner, pdf, 'handbook.pdf', { agent_id: agent.id, tool_resource: 'file_search' });
      expect(file).toMatchObject({ purpose: 'file_search', agent_id: agent.id, status: 'processing' });
      expect(await processed(owner, file.id)).toMatchObject({ status: 'ready', chunks: 1, pages: 1 });
      const expanded = await t.http.get(`/api/agents/${agent.id}/expanded`).set(owner.auth).expect(200);
      expect(expanded.body.version).toBe(agent.version + 1);
      expect(expanded.body.tool_resources).toEqual({ file_search: { file_ids: [file.id] } });

      const listed = await t.http.get(`/api/files/agent/${agent.id}`).set(owner.auth).expect(200);
      expect((listed.body as FileBody[]).map((f) => [f.id, f.status])).toEqual([[file.id, 'ready']]);

      await t.http.delete(`/api/files/${file.id}`).set(owner.auth).expect(204);
      const after = await t.http.get(`/api/agents/${agent.id}/expanded`).set(owner.auth).expect(200);
      expect(after.body.tool_resources).toEqual({ file_search: { file_ids: [] } });
    });

    it('lets an editor read an agent’s files, a USE-only user nothing; attaching needs EDIT', async () => {
      const editor = await createUser(t.http);
      const user = await createUser(t.http);
      const agent = await createAgent(t.http, owner);
      await share(t.http, owner, agent.id, {
        updated: [
          { type: 'user', id: editor.id, accessRoleId: 'agent_editor' },
          { type: 'user', id: user.id, accessRoleId: 'agent_user' },
        ],
      });
      const file = await uploaded(owner, Buffer.from('a,b\n'), 'table.csv', {
        agent_id: agent.id,
        tool_resource: 'code_interpreter',
      });
      const listed = await t.http.get(`/api/files/agent/${agent.id}`).set(editor.auth).expect(200);
      expect((listed.body as FileBody[]).map((f) => f.id)).toEqual([file.id]);
      await t.http.get(`/api/files/${file.id}`).set(editor.auth).expect(200);
      await t.http.get(`/api/files/${file.id}/content`).set(editor.auth).expect(200);
      await t.http.delete(`/api/files/${file.id}`).set(editor.auth).expect(404);

      await t.http.get(`/api/files/agent/${agent.id}`).set(user.auth).expect(403);
      await t.http.get(`/api/files/${file.id}`).set(user.auth).expect(404);
      await t.http.get(`/api/files/${file.id}/content`).set(user.auth).expect(404);
      expect((await upload(user, Buffer.from('x'), 'x.txt', { agent_id: agent.id })).status).toBe(403);
      expect((await upload(other, Buffer.from('x'), 'x.txt', { agent_id: agent.id })).status).toBe(404);
      await t.http.get(`/api/files/agent/${agent.id}`).set(other.auth).expect(404);

      // An editor may attach a file of their own; it joins the same resource.
      const mine = await uploaded(editor, Buffer.from('b'), 'b.txt', {
        agent_id: agent.id,
        tool_resource: 'code_interpreter',
      });
      const both = await t.http.get(`/api/files/agent/${agent.id}`).set(owner.auth).expect(200);
      expect((both.body as FileBody[]).map((f) => f.id)).toEqual([file.id, mine.id]);
    });

    it('validates agent_id and tool_resource', async () => {
      expectError(await upload(owner, Buffer.from('x'), 'x.txt', { agent_id: 'nope' }), 400, 'agent_id');
      const agent = await createAgent(t.http, owner);
      expectError(
        await upload(owner, Buffer.from('x'), 'x.txt', { agent_id: agent.id, tool_resource: 'web' }),
        400,
        'tool_resource',
      );
      expectError(await upload(owner, Buffer.from('x'), 'x.txt', { tool_resource: 'context' }), 400, 'agent_id');
    });

    it('refuses to list a file one does not own in an agent’s tool_resources', async () => {
      const theirs = await uploaded(other, Buffer.from('theirs'), 'theirs.txt');
      const mine = await uploaded(owner, Buffer.from('mine'), 'mine.txt');
      const res = await t.http
        .post('/api/agents')
        .set(owner.auth)
        .send({
          provider: 'openai',
          model: 'gpt-4o',
          tool_resources: { file_search: { file_ids: [mine.id, theirs.id] } },
        });
      expectError(res, 400, 'tool_resources.file_search.file_ids[1]');
      expect(res.body.details).toHaveLength(1);

      const agent = await createAgent(t.http, owner, { tool_resources: { file_search: { file_ids: [mine.id] } } });
      expectError(
        await t.http
          .patch(`/api/agents/${agent.id}`)
          .set(owner.auth)
          .send({ tool_resources: { context: { file_ids: [randomUUID()] }, file_search: { file_ids: [mine.id] } } }),
        400,
        'tool_resources.context.file_ids[0]',
      );
      // Ids the agent already lists stay allowed, whoever owns them.
      const editor = await createUser(t.http);
      await share(t.http, owner, agent.id, {
        updated: [{ type: 'user', id: editor.id, accessRoleId: 'agent_editor' }],
      });
      await t.http
        .patch(`/api/agents/${agent.id}`)
        .set(editor.auth)
        .send({ tool_resources: { file_search: { file_ids: [mine.id] }, context: { file_ids: [] } } })
        .expect(200);
    });
  });
});
