import { createHash } from 'node:crypto';
import type { AppConfig } from '@agents/core';
import { insertUser, openIntegrationDatabase, type IntegrationDatabase } from '@agents/testing/integration-database';
import { startTestS3, type TestS3 } from '@agents/testing/s3-server';
import { DatabaseFileStorage } from './database-file-storage';
import type { FileEntity } from './file.entity';
import { FileProcessing } from './file-processing';
import type { FileStorage } from './file-storage';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { S3FileStorage } from './s3-file-storage';

class RecordingProcessing extends FileProcessing {
  readonly seen: string[] = [];
  constructor(private readonly files: FilesRepository) {
    super();
  }
  async enqueue(fileId: string): Promise<void> {
    this.seen.push(fileId);
    await this.files.markReady(fileId, { pages: 3, chunkCount: 7 });
  }
}

const QUOTA = 10_000;

describe('files: repository, storages and service (integration)', () => {
  let idb: IntegrationDatabase;
  let s3: TestS3;
  let s3Storage: S3FileStorage;
  let repository: FilesRepository;
  let databaseStorage: DatabaseFileStorage;

  beforeAll(async () => {
    [idb, s3] = await Promise.all([openIntegrationDatabase(8), startTestS3()]);
    repository = new FilesRepository(idb.db);
    databaseStorage = new DatabaseFileStorage(idb.db);
    s3Storage = new S3FileStorage(s3.settings);
  });
  afterAll(async () => {
    s3Storage.destroy();
    await Promise.all([idb.close(), s3.close()]);
  });

  const serviceWith = (storage: FileStorage, processing?: FileProcessing) => {
    const proc = processing ?? new RecordingProcessing(repository);
    const config = { files: { quotaBytes: QUOTA, maxBytes: QUOTA } } as unknown as AppConfig;
    return { service: new FilesService(idb.db, repository, storage, databaseStorage, proc, config), proc };
  };

  describe.each([
    ['database', () => databaseStorage as FileStorage],
    ['s3 (s3rver)', () => s3Storage as FileStorage],
  ])('with %s storage', (_label, storageOf) => {
    it('stores, reads back identical bytes, hands the file to FileProcessing, and deletes', async () => {
      const storage = storageOf();
      const { service, proc } = serviceWith(storage);
      const user = await insertUser(idb.dataSource);
      const data = Buffer.from([0, 1, 2, 255, ...Buffer.from('%PDF-ish bytes')]);
      const file = await service.store({
        userId: user.id,
        filename: '../x/report.pdf',
        mimeType: 'application/pdf',
        data,
        purpose: 'file_search',
      });
      expect(file).toMatchObject({
        userId: user.id,
        filename: 'report.pdf',
        bytes: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
        storage: storage.kind,
        storageKey: storage.kind === 's3' ? `files/${user.id}/${file.id}` : null,
        status: 'ready',
        pages: 3,
        chunkCount: 7,
      });
      expect(proc instanceof RecordingProcessing && proc.seen).toEqual([file.id]);
      expect(Buffer.compare(await service.readBytes(file), data)).toBe(0);
      expect(Buffer.compare(await storage.get(file), data)).toBe(0);

      await service.delete(file);
      expect(await repository.findById(file.id)).toBeNull();
      await expect(storage.get(file)).rejects.toThrow();
      await expect(storage.delete(file)).resolves.toBeUndefined(); // gone already: not an error
    });

    it('stores nothing when the row cannot be written (no object or bytes left behind)', async () => {
      const storage = storageOf();
      const { service } = serviceWith(storage);
      const user = await insertUser(idb.dataSource);
      let stored: FileEntity | undefined;
      await expect(
        service.store(
          { userId: user.id, filename: 'a.txt', mimeType: 'text/plain', data: Buffer.from('abc'), purpose: 'context' },
          (_m, file) => {
            stored = file;
            return Promise.reject(new Error('attaching failed'));
          },
        ),
      ).rejects.toThrow('attaching failed');
      expect(stored).toBeDefined();
      expect(await repository.findById(stored!.id)).toBeNull();
      await expect(storage.get(stored!)).rejects.toThrow();
      expect(await repository.usedBytes(user.id)).toBe(0);
    });

    it('lets concurrent uploads of one user fill the quota but never overshoot it', async () => {
      const { service } = serviceWith(storageOf());
      const user = await insertUser(idb.dataSource);
      const data = Buffer.alloc(3_000, 0x61); // 3 fit in 10 000 bytes, a 4th does not
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          service.store({ userId: user.id, filename: `${i}.txt`, mimeType: 'text/plain', data, purpose: 'attachment' }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
        expect((r.reason as Error).message).toMatch(/quota/);
      }
      expect(await repository.usedBytes(user.id)).toBe(9_000);
    });
  });

  it('saveGenerated stores a ready `generated` file without processing, counted in the quota', async () => {
    const { service, proc } = serviceWith(databaseStorage);
    const user = await insertUser(idb.dataSource);
    const file = await service.saveGenerated({
      userId: user.id,
      conversationId: null,
      filename: 'chart.png',
      mimeType: 'image/png',
      data: Buffer.from('png'),
    });
    expect(file).toMatchObject({ purpose: 'generated', status: 'ready', bytes: 3 });
    expect(proc instanceof RecordingProcessing && proc.seen).toEqual([]);
    await expect(
      service.saveGenerated({
        userId: user.id,
        conversationId: null,
        filename: 'big.bin',
        mimeType: 'application/octet-stream',
        data: Buffer.alloc(QUOTA),
      }),
    ).rejects.toThrow(/quota/);
  });

  it('ownedIds answers which ids the user owns, ignoring non-UUIDs and other users’ files', async () => {
    const { service } = serviceWith(databaseStorage);
    const [alice, bob] = [await insertUser(idb.dataSource), await insertUser(idb.dataSource)];
    const store = (userId: string) =>
      service.store({ userId, filename: 'a.txt', mimeType: 'text/plain', data: Buffer.from('a'), purpose: 'context' });
    const [a, b] = [await store(alice.id), await store(bob.id)];
    expect(await service.ownedIds(alice.id, [a.id, b.id, 'not-a-uuid', a.id])).toEqual(new Set([a.id]));
  });

  it('pages a user’s files newest first without skipping or repeating', async () => {
    const { service } = serviceWith(databaseStorage);
    const user = await insertUser(idb.dataSource);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (
          await service.store({
            userId: user.id,
            filename: `${i}.txt`,
            mimeType: 'text/plain',
            data: Buffer.from('x'),
            purpose: 'attachment',
          })
        ).id,
      );
    }
    const seen: string[] = [];
    let after: { at: Date; id: string } | undefined;
    for (;;) {
      const rows = await repository.pageOwnedBy(user.id, 2, after);
      const page = rows.slice(0, 2);
      seen.push(...page.map((r) => r.id));
      if (rows.length <= 2) break;
      const last = page[page.length - 1];
      after = { at: last.createdAt, id: last.id };
    }
    expect(seen).toEqual([...ids].reverse());
  });
});
