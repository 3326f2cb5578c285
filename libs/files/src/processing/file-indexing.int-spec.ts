import { createHash, randomUUID } from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { DataSource } from 'typeorm';
import { insertUser, openIntegrationDatabase, type IntegrationDatabase } from '@agents/testing/integration-database';
import { FileSearch } from '../search/file-search';
import { DatabaseFileBytes } from './file-bytes';
import { FileIndexRepository } from './file-index.repository';
import { FileIndexer } from './file-indexer';

interface FileInput {
  userId: string;
  filename: string;
  mimeType: string;
  data: Buffer;
  purpose?: string;
}

/** Inserts a `processing` file and its bytes, as the upload route leaves them. */
async function insertFile(ds: DataSource, input: FileInput): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO files (id, user_id, filename, mime_type, bytes, sha256, storage, purpose, status)
     VALUES ($1, $2, $3, $4, $5, $6, 'database', $7, 'processing')`,
    [
      id,
      input.userId,
      input.filename,
      input.mimeType,
      input.data.length,
      createHash('sha256').update(input.data).digest('hex'),
      input.purpose ?? 'file_search',
    ],
  );
  await ds.query(`INSERT INTO file_contents (file_id, data) VALUES ($1, $2)`, [id, input.data]);
  return id;
}

async function fileRow(ds: DataSource, id: string) {
  const rows = await ds.query<{ status: string; error: string | null; pages: number | null; chunk_count: number }[]>(
    `SELECT status, error, pages, chunk_count FROM files WHERE id = $1`,
    [id],
  );
  return rows[0];
}

async function pdfWithPages(texts: string[]): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of texts) doc.addPage([595, 842]).drawText(text, { x: 50, y: 780, size: 12, font });
  return Buffer.from(await doc.save());
}

describe('FileIndexer and FileSearch on PostgreSQL', () => {
  let database: IntegrationDatabase;
  let ds: DataSource;
  let indexer: FileIndexer;
  let search: FileSearch;
  let userId: string;

  beforeAll(async () => {
    database = await openIntegrationDatabase();
    ds = database.dataSource;
    indexer = new FileIndexer(new FileIndexRepository(database.db), new DatabaseFileBytes(database.db), {
      chunking: { size: 300, overlap: 60, maxChunks: 1_000 },
    });
    search = new FileSearch(database.db);
    userId = (await insertUser(ds)).id;
  });
  afterAll(() => database.close());

  const text = (s: string) => Buffer.from(s);

  it('indexes a PDF page by page: ready, its page count and chunks, searchable with pages', async () => {
    const pdf = await pdfWithPages(['Introduction to gardening', 'Tomatoes need sunlight', 'Harvest in autumn']);
    const id = await insertFile(ds, { userId, filename: 'garden.pdf', mimeType: 'application/pdf', data: pdf });
    expect(await indexer.process(id)).toEqual({ status: 'ready', chunks: 3, pages: 3 });
    expect(await fileRow(ds, id)).toEqual({ status: 'ready', error: null, pages: 3, chunk_count: 3 });
    const hits = await search.search([id], 'tomato', 5);
    expect(hits).toEqual([
      { fileId: id, filename: 'garden.pdf', page: 2, text: 'Tomatoes need sunlight', score: expect.any(Number) },
    ]);
  });

  it('re-indexing replaces the chunks (idempotent)', async () => {
    const id = await insertFile(ds, { userId, filename: 'a.txt', mimeType: 'text/plain', data: text('alpha beta') });
    await indexer.process(id);
    await ds.query(`UPDATE file_contents SET data = $2 WHERE file_id = $1`, [id, text('gamma delta')]);
    await indexer.process(id);
    const chunks = await ds.query<{ text: string }[]>(`SELECT text FROM file_chunks WHERE file_id = $1`, [id]);
    expect(chunks).toEqual([{ text: 'gamma delta' }]);
    expect(await search.search([id], 'alpha', 5)).toEqual([]);
  });

  it('stores thousands of chunks in batches', async () => {
    const body = Array.from({ length: 4_000 }, (_, i) => `Paragraph ${i} mentions the token w${i}.`).join('\n\n');
    const id = await insertFile(ds, { userId, filename: 'long.md', mimeType: 'text/markdown', data: text(body) });
    const outcome = await indexer.process(id);
    expect(outcome.status).toBe('ready');
    const [{ n }] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM file_chunks WHERE file_id = $1`, [
      id,
    ]);
    expect(n).toBeGreaterThan(600);
    expect(await fileRow(ds, id)).toMatchObject({ chunk_count: n, pages: null });
    expect((await search.search([id], 'w3999', 5))[0]?.text).toContain('w3999');
  });

  it('marks a damaged file failed with a readable reason, and drops chunks of an earlier run', async () => {
    const id = await insertFile(ds, {
      userId,
      filename: 'x.pdf',
      mimeType: 'application/pdf',
      data: text('fine text'),
    });
    await ds.query(`UPDATE files SET mime_type = 'text/plain', filename = 'x.txt' WHERE id = $1`, [id]);
    await indexer.process(id);
    await ds.query(`UPDATE files SET mime_type = 'application/pdf', filename = 'x.pdf' WHERE id = $1`, [id]);
    expect(await indexer.process(id)).toEqual({ status: 'failed', error: expect.stringMatching(/not a readable PDF/) });
    expect(await fileRow(ds, id)).toMatchObject({ status: 'failed', chunk_count: 0 });
    const [{ n }] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM file_chunks WHERE file_id = $1`, [
      id,
    ]);
    expect(n).toBe(0);
  });

  it('makes an image attachment ready with no chunks, and fails an image meant for file_search', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]);
    const attachment = await insertFile(ds, {
      userId,
      filename: 'a.png',
      mimeType: 'image/png',
      data: png,
      purpose: 'attachment',
    });
    expect(await indexer.process(attachment)).toEqual({ status: 'ready', chunks: 0, pages: null });
    const searchable = await insertFile(ds, { userId, filename: 'b.png', mimeType: 'image/png', data: png });
    expect(await indexer.process(searchable)).toEqual({ status: 'failed', error: expect.stringMatching(/image\/png/) });
  });

  it('reports a file deleted before it ran as missing', async () => {
    expect(await indexer.process(randomUUID())).toEqual({ status: 'missing' });
  });

  it('rejects on an unexpected failure, marking the file failed only on the last attempt', async () => {
    const id = await insertFile(ds, { userId, filename: 'c.txt', mimeType: 'text/plain', data: text('x') });
    const broken = new FileIndexer(new FileIndexRepository(database.db), {
      read: () => Promise.reject(new Error('storage down')),
    });
    await expect(broken.process(id, { lastAttempt: false })).rejects.toThrow('storage down');
    expect((await fileRow(ds, id))?.status).toBe('processing');
    await expect(broken.process(id)).rejects.toThrow('storage down');
    expect(await fileRow(ds, id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/try uploading/) });
  });

  describe('search', () => {
    let a: string;
    let b: string;
    let other: string;
    beforeAll(async () => {
      a = await insertFile(ds, {
        userId,
        filename: 'budget.txt',
        mimeType: 'text/plain',
        data: text('The budget for the bridge project is approved. The bridge opens in spring.'),
      });
      b = await insertFile(ds, {
        userId,
        filename: 'notes.txt',
        mimeType: 'text/plain',
        data: text('A note about a bridge.'),
      });
      other = await insertFile(ds, {
        userId,
        filename: 'secret.txt',
        mimeType: 'text/plain',
        data: text('The bridge budget is secret.'),
      });
      for (const id of [a, b, other]) await indexer.process(id);
    });

    it('ranks the denser match first and keeps to the given files', async () => {
      const hits = await search.search([a, b], 'bridge budget', 10);
      expect(hits.map((h) => h.filename)).toEqual(['budget.txt']);
      const either = await search.search([a, b], 'bridge', 10);
      expect(either.map((h) => h.filename)).toEqual(['budget.txt', 'notes.txt']);
      expect(either[0].score).toBeGreaterThan(either[1].score);
    });

    it('understands web-search syntax: phrases, or, exclusion', async () => {
      expect((await search.search([a, b, other], '"bridge opens"', 10)).map((h) => h.fileId)).toEqual([a]);
      expect((await search.search([a, b, other], 'bridge -budget', 10)).map((h) => h.fileId)).toEqual([b]);
      expect((await search.search([a, b], 'spring or note', 10)).length).toBe(2);
    });

    it('finds nothing for an empty or stop-word query, no ids, or ids that are not uuids', async () => {
      expect(await search.search([a], '   ', 10)).toEqual([]);
      expect(await search.search([a], 'the and of', 10)).toEqual([]);
      expect(await search.search([], 'bridge', 10)).toEqual([]);
      expect(await search.search(['not-a-uuid'], 'bridge', 10)).toEqual([]);
    });

    it('skips files that are not ready, and honours the limit', async () => {
      await ds.query(`UPDATE files SET status = 'processing' WHERE id = $1`, [b]);
      expect((await search.search([a, b], 'bridge', 10)).map((h) => h.fileId)).toEqual([a]);
      await ds.query(`UPDATE files SET status = 'ready' WHERE id = $1`, [b]);
      expect(await search.search([a, b], 'bridge', 1)).toHaveLength(1);
    });
  });
});
