import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { insertUser, openIntegrationDatabase, type IntegrationDatabase } from '@agents/testing/integration-database';
import { FILE_SEARCH_SQL, FileSearch } from './file-search';

const FILES = 100;
const CHUNKS_PER_FILE = 100;

/** Ready files with generated chunks: a common vocabulary, and one rare word per 500 chunks. */
async function seedChunks(ds: DataSource, userId: string): Promise<string[]> {
  const ids = Array.from({ length: FILES }, () => randomUUID());
  await ds.query(
    `INSERT INTO files (id, user_id, filename, mime_type, bytes, sha256, storage, purpose, status, chunk_count)
     SELECT id, $2, 'doc-' || n || '.txt', 'text/plain', 1000, repeat('0', 64), 'database', 'file_search', 'ready', $3
       FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
    [ids, userId, CHUNKS_PER_FILE],
  );
  await ds.query(
    `INSERT INTO file_chunks (file_id, seq, page, text)
     SELECT f.id, s, NULL,
            'Section ' || s || ' of the quarterly report discusses revenue, costs and the outlook for '
            || (ARRAY['steel','timber','copper','grain','cotton'])[1 + (s % 5)]
            || CASE WHEN (f.n * ${CHUNKS_PER_FILE} + s) % 500 = 0 THEN ' and the zeppelin programme' ELSE '' END
            || repeat(' with ordinary filler words about markets', 15)
       FROM unnest($1::uuid[]) WITH ORDINALITY AS f(id, n), generate_series(0, ${CHUNKS_PER_FILE - 1}) AS s`,
    [ids],
  );
  await ds.query(`ANALYZE files`);
  await ds.query(`ANALYZE file_chunks`);
  return ids;
}

describe('FileSearch at 10k chunks', () => {
  let database: IntegrationDatabase;
  let ds: DataSource;
  let ids: string[];

  beforeAll(async () => {
    database = await openIntegrationDatabase();
    ds = database.dataSource;
    ids = await seedChunks(ds, (await insertUser(ds)).id);
  });
  afterAll(() => database.close());

  const plan = async (query: string, fileIds: string[]): Promise<string> => {
    const rows = await ds.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${FILE_SEARCH_SQL}`, [fileIds, query, 8]);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  };

  it('finds the rare word through the GIN index on tsv', async () => {
    const explained = await plan('zeppelin', ids);
    expect(explained).toMatch(/Bitmap Index Scan on file_chunks_tsv_idx/);
    expect(explained).not.toMatch(/Seq Scan on file_chunks/);
    const hits = await new FileSearch(database.db).search(ids, 'zeppelin', 50);
    expect(hits).toHaveLength((FILES * CHUNKS_PER_FILE) / 500);
  });

  it('restricted to a few files, finds a common word through an index (the planner may pick file_id)', async () => {
    const explained = await plan('copper outlook', ids.slice(0, 3));
    expect(explained).toMatch(/Index Scan on file_chunks_(pkey|tsv_idx)/);
    expect(explained).not.toMatch(/Seq Scan on file_chunks/);
    const hits = await new FileSearch(database.db).search(ids.slice(0, 3), 'copper outlook', 50);
    expect(hits.length).toBe(50);
    expect(new Set(hits.map((h) => h.fileId)).size).toBeLessThanOrEqual(3);
  });
});
