/**
 * Benchmark of the files pipeline: how fast FileIndexer turns generated text and PDF files into
 * chunks (MB/s of input, extraction + chunking + storing), and file_search latency (FileSearch,
 * the query the tool runs) at 10k and 100k chunks, over all of 100 files and over 3 of them.
 * Queries are one or two words drawn with the corpus's own skew (see VOCABULARY). Prints the
 * 100k/10k ratios.
 *
 * Runs against a fresh database on the bench's PostgreSQL server (BENCH_DATABASE_URL), dropped at
 * the end. Run with `npm run bench:files`.
 */
import 'reflect-metadata';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { DataSource } from 'typeorm';
import { DatabaseService, dataSourceOptions } from '@agents/core';
import { DatabaseFileBytes, FileIndexRepository, FileIndexer, FileSearch } from '@agents/files';
import { Cleanups, onInterrupt } from './support/cleanup';
import { createDatabase, dropDatabase, migrateDatabase, urlFor } from './support/database';
import { ms, writeResults } from './support/report';
import { type Stats, stats } from './support/stats';

const RESULTS_FILE = join(__dirname, '.results', 'files.json');
const FILES = 100;
const LEVELS = [10_000, 100_000] as const;
const QUERIES = 200;
const WARMUP = 20;

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ter',
  'ran',
  'vel',
  'os',
  'un',
  'dri',
  'pal',
  'zen',
  'bor',
  'qui',
  'sta',
  'mel',
  'fin',
];

/**
 * The search corpus's vocabulary: 20,000 made-up words, used with a skew (word r drawn about as
 * often as a Zipf law would), so most queries are selective and some match much of the corpus.
 */
const VOCABULARY = Array.from({ length: 20_000 }, (_, i) => {
  let word = '';
  for (let n = i + 1; n > 0; n = Math.floor(n / SYLLABLES.length)) word += SYLLABLES[n % SYLLABLES.length];
  return `${word}x`;
});

/** An index in 0..n-1, small ones far more often (power law). */
const skewed = (rng: () => number, n: number): number => Math.floor(n * rng() ** 3);

/** Words for the indexing bench's prose. */
const WORDS = (
  'revenue cost margin forecast budget supplier contract warehouse invoice payment pension tax audit ' +
  'river bridge tunnel harbour railway airport station highway canal reservoir turbine pipeline ' +
  'protein enzyme cell membrane genome neuron vaccine antibody receptor molecule catalyst polymer ' +
  'novel poem chapter author editor library archive museum gallery theatre concert festival'
).split(' ');

function sentence(rng: () => number): string {
  const n = 8 + Math.floor(rng() * 10);
  const words = Array.from({ length: n }, () => WORDS[Math.floor(rng() * WORDS.length)]);
  return `The ${words.join(' ')}.`;
}

/** A small deterministic generator, so runs compare. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function prose(chars: number, rng: () => number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const s = (i + 1) % 6 === 0 ? `${sentence(rng)}\n\n` : `${sentence(rng)} `;
    parts.push(s);
    length += s.length;
  }
  return parts.join('');
}

async function pdf(pages: number, rng: () => number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595, 842]);
    for (let line = 0; line < 45; line++) {
      page.drawText(sentence(rng).slice(0, 95), { x: 40, y: 800 - line * 17, size: 9, font });
    }
  }
  return Buffer.from(await doc.save());
}

async function insertFile(
  ds: DataSource,
  userId: string,
  filename: string,
  mimeType: string,
  data: Buffer,
): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO files (id, user_id, filename, mime_type, bytes, sha256, storage, purpose, status)
     VALUES ($1, $2, $3, $4, $5, $6, 'database', 'file_search', 'processing')`,
    [id, userId, filename, mimeType, data.length, createHash('sha256').update(data).digest('hex')],
  );
  await ds.query(`INSERT INTO file_contents (file_id, data) VALUES ($1, $2)`, [id, data]);
  return id;
}

interface Indexing {
  kind: string;
  mb: number;
  chunks: number;
  seconds: number;
  mbPerSecond: number;
}

async function indexing(
  ds: DataSource,
  indexer: FileIndexer,
  userId: string,
  kind: string,
  files: { name: string; mime: string; data: Buffer }[],
): Promise<Indexing> {
  const ids = [];
  for (const f of files) ids.push(await insertFile(ds, userId, f.name, f.mime, f.data));
  const bytes = files.reduce((sum, f) => sum + f.data.length, 0);
  let chunks = 0;
  const start = performance.now();
  for (const id of ids) {
    const outcome = await indexer.process(id);
    if (outcome.status !== 'ready') throw new Error(`indexing ${kind} failed: ${JSON.stringify(outcome)}`);
    chunks += outcome.chunks;
  }
  const seconds = (performance.now() - start) / 1000;
  const mb = bytes / 1024 / 1024;
  return { kind, mb: round(mb), chunks, seconds: round(seconds), mbPerSecond: round(mb / seconds) };
}

/** Chunks of skewed vocabulary, spread over the files, in multi-row INSERTs. */
async function seedChunks(
  ds: DataSource,
  fileIds: string[],
  from: number,
  to: number,
  rng: () => number,
): Promise<void> {
  // Building the GIN index once is far faster than updating it row by row.
  await ds.query(`DROP INDEX file_chunks_tsv_idx`);
  const batch = 1_000;
  for (let start = from; start < to; start += batch) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let n = start; n < Math.min(start + batch, to); n++) {
      const words = Array.from({ length: 140 }, () => VOCABULARY[skewed(rng, VOCABULARY.length)]);
      values.push(fileIds[n % fileIds.length], n, words.join(' '));
      rows.push(`($${values.length - 2}, $${values.length - 1}, NULL, $${values.length})`);
    }
    await ds.query(`INSERT INTO file_chunks (file_id, seq, page, text) VALUES ${rows.join(', ')}`, values);
  }
  await ds.query(`CREATE INDEX file_chunks_tsv_idx ON file_chunks USING gin (tsv)`);
  await ds.query(`UPDATE files SET status = 'ready' WHERE id = ANY($1::uuid[])`, [fileIds]);
  await ds.query(`ANALYZE file_chunks`);
  await ds.query(`ANALYZE files`);
}

async function searchLatency(search: FileSearch, ids: string[], rng: () => number): Promise<Stats & { hits: number }> {
  const word = () => VOCABULARY[skewed(rng, VOCABULARY.length)];
  const query = () => (rng() < 0.5 ? word() : `${word()} ${word()}`);
  for (let i = 0; i < WARMUP; i++) await search.search(ids, query(), 8);
  const latencies: number[] = [];
  let hits = 0;
  for (let i = 0; i < QUERIES; i++) {
    const start = performance.now();
    hits += (await search.search(ids, query(), 8)).length;
    latencies.push(performance.now() - start);
  }
  return { ...stats(latencies), hits };
}

const round = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const startedAt = performance.now();
  const cleanups = new Cleanups();
  const removeInterrupt = onInterrupt(() => cleanups.run());
  try {
    const name = `bench_files_${randomBytes(4).toString('hex')}`;
    await createDatabase(name);
    cleanups.push(() => dropDatabase(name));
    await migrateDatabase(name);
    const ds = new DataSource(dataSourceOptions({ databaseUrl: urlFor(name), dbPoolSize: 4 }));
    await ds.initialize();
    cleanups.push(() => ds.destroy());
    const db = new DatabaseService(ds, null);
    const userId = randomUUID();
    await ds.query(
      `INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at)
       VALUES ($1, $2, 'Bench', 'x', 'USER', now(), now())`,
      [userId, `${userId}@bench.local`],
    );
    const indexer = new FileIndexer(new FileIndexRepository(db), new DatabaseFileBytes(db));
    const search = new FileSearch(db);
    const rng = seeded(42);

    console.log('indexing…');
    const text = await indexing(
      ds,
      indexer,
      userId,
      'text',
      Array.from({ length: 4 }, (_, i) => ({
        name: `t${i}.txt`,
        mime: 'text/plain',
        data: Buffer.from(prose(2_000_000, rng)),
      })),
    );
    const pdfs = await indexing(
      ds,
      indexer,
      userId,
      'pdf',
      await Promise.all(
        Array.from({ length: 4 }, async (_, i) => ({
          name: `p${i}.pdf`,
          mime: 'application/pdf',
          data: await pdf(100, rng),
        })),
      ),
    );
    for (const r of [text, pdfs]) {
      console.log(
        `index ${r.kind.padEnd(5)} ${r.mb} MB in ${r.seconds} s → ${r.mbPerSecond} MB/s (${r.chunks} chunks)`,
      );
    }

    const fileIds: string[] = [];
    for (let i = 0; i < FILES; i++)
      fileIds.push(await insertFile(ds, userId, `doc${i}.txt`, 'text/plain', Buffer.from('x')));
    const levels: { chunks: number; all: Stats & { hits: number }; few: Stats & { hits: number } }[] = [];
    let seeded_ = 0;
    for (const level of LEVELS) {
      console.log(`seeding ${level} chunks…`);
      const seedStart = performance.now();
      await seedChunks(ds, fileIds, seeded_, level, rng);
      console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
      seeded_ = level;
      const all = await searchLatency(search, fileIds, rng);
      const few = await searchLatency(search, fileIds.slice(0, 3), rng);
      levels.push({ chunks: level, all, few });
      console.log(
        `search ${String(level).padStart(6)} chunks  ${FILES} files p50 ${ms(all.p50)} p99 ${ms(all.p99)} ms | ` +
          `3 files p50 ${ms(few.p50)} p99 ${ms(few.p99)} ms`,
      );
    }
    const [small, large] = levels;
    const ratios = {
      allP50: round(large.all.p50 / small.all.p50),
      allP99: round(large.all.p99 / small.all.p99),
      fewP50: round(large.few.p50 / small.few.p50),
      fewP99: round(large.few.p99 / small.few.p99),
    };
    console.log(
      `ratio 100k/10k  ${FILES} files p50 ${ratios.allP50}× p99 ${ratios.allP99}× | 3 files p50 ${ratios.fewP50}× p99 ${ratios.fewP99}×`,
    );
    writeResults(RESULTS_FILE, { indexing: [text, pdfs], search: levels, ratios }, startedAt);
  } finally {
    await cleanups.run();
    removeInterrupt();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
