import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@agents/core';
import { InProcessJobQueue } from '@agents/jobs';
import { insertUser, openIntegrationDatabase, type IntegrationDatabase } from '@agents/testing/integration-database';
import { DatabaseFileBytes, FileBytes } from './file-bytes';
import { FileIndexRepository } from './file-index.repository';
import { FileIndexer } from './file-indexer';
import type { FileProcessingJob } from './file-processing-queue';
import { FileProcessingProcessor } from './file-processing.processor';
import { QueuedFileProcessing } from './queued-file-processing';

const config = { shutdownDrainMs: 2_000 } as AppConfig;

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Fails the first `failures` reads, then reads for real. */
class FlakyBytes extends FileBytes {
  reads = 0;
  constructor(
    private readonly real: FileBytes,
    private readonly failures: number,
  ) {
    super();
  }
  read(fileId: string): Promise<Buffer> {
    this.reads += 1;
    return this.reads <= this.failures ? Promise.reject(new Error('storage hiccup')) : this.real.read(fileId);
  }
}

describe('file processing through the in-process queue', () => {
  let database: IntegrationDatabase;
  let ds: DataSource;
  let userId: string;
  const running: FileProcessingProcessor[] = [];

  beforeAll(async () => {
    database = await openIntegrationDatabase();
    ds = database.dataSource;
    userId = (await insertUser(ds)).id;
  });
  afterEach(async () => {
    for (const processor of running.splice(0)) await processor.beforeApplicationShutdown();
  });
  afterAll(() => database.close());

  /** A queue with its processor started, as the embedded api has them. */
  function start(bytes: FileBytes, attempts = 3) {
    const jobs = new InProcessJobQueue<FileProcessingJob>();
    const indexer = new FileIndexer(new FileIndexRepository(database.db), bytes);
    const processor = new FileProcessingProcessor(jobs, indexer, config, { attempts, backoffMs: 10 });
    processor.onApplicationBootstrap();
    running.push(processor);
    return new QueuedFileProcessing(jobs);
  }

  async function insertTextFile(text: string): Promise<string> {
    const id = randomUUID();
    const data = Buffer.from(text);
    await ds.query(
      `INSERT INTO files (id, user_id, filename, mime_type, bytes, sha256, storage, purpose, status)
       VALUES ($1, $2, 'notes.txt', 'text/plain', $3, $4, 'database', 'file_search', 'processing')`,
      [id, userId, data.length, createHash('sha256').update(data).digest('hex')],
    );
    await ds.query(`INSERT INTO file_contents (file_id, data) VALUES ($1, $2)`, [id, data]);
    return id;
  }

  const statusOf = async (id: string) =>
    (
      await ds.query<{ status: string; error: string | null; chunk_count: number }[]>(
        `SELECT status, error, chunk_count FROM files WHERE id = $1`,
        [id],
      )
    )[0];

  it('indexes an enqueued file: processing → ready with its chunks', async () => {
    const processing = start(new DatabaseFileBytes(database.db));
    const id = await insertTextFile('The lighthouse keeper logs the weather every hour.');
    await processing.enqueue(id);
    await until(async () => (await statusOf(id)).status !== 'processing');
    expect(await statusOf(id)).toEqual({ status: 'ready', error: null, chunk_count: 1 });
  });

  it('retries a transient failure and succeeds', async () => {
    const bytes = new FlakyBytes(new DatabaseFileBytes(database.db), 2);
    const processing = start(bytes);
    const id = await insertTextFile('Second try text.');
    await processing.enqueue(id);
    await until(async () => (await statusOf(id)).status !== 'processing');
    expect((await statusOf(id)).status).toBe('ready');
    expect(bytes.reads).toBe(3);
  });

  it('marks the file failed after the last attempt', async () => {
    const bytes = new FlakyBytes(new DatabaseFileBytes(database.db), 10);
    const processing = start(bytes, 2);
    const id = await insertTextFile('Never read.');
    await processing.enqueue(id);
    await until(async () => (await statusOf(id)).status !== 'processing');
    expect(await statusOf(id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/try uploading/) });
    expect(bytes.reads).toBe(2);
  });
});
