import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@agents/core';
import type { ToolFiles } from '@agents/tools';
import { insertUser, openIntegrationDatabase, type IntegrationDatabase } from '@agents/testing/integration-database';
import { DatabaseFileBytes } from '../processing/file-bytes';
import { FileIndexRepository } from '../processing/file-index.repository';
import { FileIndexer } from '../processing/file-indexer';
import { FileSearch } from '../search/file-search';
import { DatabaseGeneratedFiles, FileQuotaExceededError, safeFilename } from './generated-files';
import { ToolFileNotFoundError, ToolFilesFactory } from './tool-files.factory';
import { ToolFilesRepository } from './tool-files.repository';

const QUOTA = 10_000;

describe('ToolFilesFactory on PostgreSQL', () => {
  let database: IntegrationDatabase;
  let ds: DataSource;
  let factory: ToolFilesFactory;
  let indexer: FileIndexer;
  let owner: string;
  let author: string;
  let conversationId: string;
  let otherConversation: string;

  interface FileInput {
    userId: string;
    text: string;
    filename?: string;
    purpose?: string;
    conversationId?: string | null;
    status?: string;
  }

  async function insertFile(input: FileInput): Promise<string> {
    const id = randomUUID();
    const data = Buffer.from(input.text);
    await ds.query(
      `INSERT INTO files (id, user_id, filename, mime_type, bytes, sha256, storage, purpose, conversation_id, status)
       VALUES ($1, $2, $3, 'text/plain', $4, $5, 'database', $6, $7, 'processing')`,
      [
        id,
        input.userId,
        input.filename ?? `${id}.txt`,
        data.length,
        createHash('sha256').update(data).digest('hex'),
        input.purpose ?? 'file_search',
        input.conversationId ?? null,
      ],
    );
    await ds.query(`INSERT INTO file_contents (file_id, data) VALUES ($1, $2)`, [id, data]);
    await indexer.process(id);
    if (input.status) await ds.query(`UPDATE files SET status = $2 WHERE id = $1`, [id, input.status]);
    return id;
  }

  beforeAll(async () => {
    database = await openIntegrationDatabase();
    ds = database.dataSource;
    indexer = new FileIndexer(new FileIndexRepository(database.db), new DatabaseFileBytes(database.db));
    factory = new ToolFilesFactory(
      new ToolFilesRepository(database.db),
      new DatabaseFileBytes(database.db),
      new FileSearch(database.db),
      new DatabaseGeneratedFiles(database.db, { files: { quotaBytes: QUOTA } } as AppConfig),
    );
    owner = (await insertUser(ds)).id;
    author = (await insertUser(ds)).id;
    conversationId = randomUUID();
    otherConversation = randomUUID();
  });
  afterAll(() => database.close());

  describe('scope', () => {
    let agentDoc: string;
    let agentCode: string;
    let attached: string;
    let attachedCode: string;
    let elsewhere: string;
    let strangers: string;
    let failed: string;
    let files: ToolFiles;

    beforeAll(async () => {
      agentDoc = await insertFile({ userId: author, text: 'The pension plan vests after five years.' });
      agentCode = await insertFile({ userId: author, text: 'a,b\n1,2', purpose: 'code_interpreter' });
      attached = await insertFile({
        userId: owner,
        text: 'My pension statement.',
        purpose: 'attachment',
        conversationId,
      });
      attachedCode = await insertFile({ userId: owner, text: 'x', purpose: 'code_interpreter', conversationId });
      elsewhere = await insertFile({
        userId: owner,
        text: 'Pension notes of another chat.',
        conversationId: otherConversation,
      });
      strangers = await insertFile({ userId: author, text: 'Pension secrets.', conversationId });
      failed = await insertFile({ userId: author, text: 'pension', status: 'failed' });
      files = factory.forCall({
        userId: owner,
        conversationId,
        toolResources: {
          file_search: { file_ids: [agentDoc, failed, randomUUID(), 'junk'] },
          code_interpreter: { file_ids: [agentCode] },
        },
      });
    });

    it('lists the agent files of a resource that exist plus the conversation files it takes', async () => {
      expect((await files.list('file_search')).map((f) => f.id).sort()).toEqual([agentDoc, attached].sort());
      expect((await files.list('code_interpreter')).map((f) => f.id).sort()).toEqual(
        [agentCode, attached, attachedCode].sort(),
      );
      const [ref] = (await files.list('file_search')).filter((f) => f.id === agentDoc);
      expect(ref).toEqual({ id: agentDoc, filename: `${agentDoc}.txt`, mimeType: 'text/plain', bytes: 40 });
    });

    it('reads files in scope and refuses any other', async () => {
      expect((await files.read(agentCode)).toString()).toBe('a,b\n1,2');
      expect((await files.read(attached)).toString()).toBe('My pension statement.');
      for (const id of [elsewhere, strangers, failed, randomUUID()]) {
        await expect(files.read(id)).rejects.toThrow(ToolFileNotFoundError);
      }
    });

    it('searches only the file_search files', async () => {
      const hits = await files.search('pension', 10);
      expect(hits.map((h) => h.fileId).sort()).toEqual([agentDoc, attached].sort());
    });

    it('has no files for an agent without resources and a stateless call', async () => {
      const none = factory.forCall({ userId: owner, conversationId: null, toolResources: undefined });
      expect(await none.list('file_search')).toEqual([]);
      expect(await none.search('pension', 5)).toEqual([]);
    });
  });

  describe('save', () => {
    it('stores a generated file, ready, in the conversation, readable in the same run', async () => {
      const user = (await insertUser(ds)).id;
      const files = factory.forCall({ userId: user, conversationId, toolResources: {} });
      const ref = await files.save({
        filename: '../../etc/chart.png',
        mimeType: 'image/png',
        data: Buffer.from('png'),
      });
      expect(ref).toEqual({ id: expect.any(String), filename: 'chart.png', mimeType: 'image/png', bytes: 3 });
      const [row] = await ds.query<Record<string, unknown>[]>(
        `SELECT user_id, purpose, status, conversation_id, storage FROM files WHERE id = $1`,
        [ref.id],
      );
      expect(row).toEqual({
        user_id: user,
        purpose: 'generated',
        status: 'ready',
        conversation_id: conversationId,
        storage: 'database',
      });
      expect((await files.read(ref.id)).toString()).toBe('png');
      expect((await files.list('code_interpreter')).map((f) => f.id)).toContain(ref.id);
    });

    it('refuses a file past the quota with a clear message, and stores nothing', async () => {
      const user = (await insertUser(ds)).id;
      const files = factory.forCall({ userId: user, conversationId, toolResources: {} });
      await files.save({ filename: 'a.bin', mimeType: 'application/octet-stream', data: Buffer.alloc(QUOTA - 100) });
      const saving = files.save({ filename: 'b.bin', mimeType: 'application/octet-stream', data: Buffer.alloc(200) });
      await expect(saving).rejects.toThrow(FileQuotaExceededError);
      await expect(saving).rejects.toThrow(/storage quota of 9\.8 KB/);
      const [{ n }] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM files WHERE user_id = $1`, [
        user,
      ]);
      expect(n).toBe(1);
    });

    it('keeps concurrent saves under the quota together', async () => {
      const user = (await insertUser(ds)).id;
      const files = factory.forCall({ userId: user, conversationId, toolResources: {} });
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          files.save({ filename: `${i}.bin`, mimeType: 'application/octet-stream', data: Buffer.alloc(3_000) }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    });
  });

  it('safeFilename keeps the last path part, without control characters', () => {
    expect(safeFilename('a/b\\c.txt')).toBe('c.txt');
    expect(safeFilename('x\u0000y\n.txt')).toBe('xy.txt');
    expect(safeFilename('   ')).toBe('file');
    expect(safeFilename('n'.repeat(300))).toHaveLength(255);
  });
});
