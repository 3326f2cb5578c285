import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppConfig, DatabaseService, PayloadTooLargeError, UUID_PATTERN, type KeysetPosition } from '@agents/core';
import { DatabaseFileStorage } from './database-file-storage';
import { FileEntity, type FilePurpose } from './file.entity';
import { FileProcessing } from './file-processing';
import { FileStorage, storageKeyOf } from './file-storage';
import { sanitizeFilename } from './filename';
import { FilesRepository } from './files.repository';

/** A file to store, its type already decided (sniffed for uploads, declared by tools). */
export interface NewFile {
  userId: string;
  filename: string;
  mimeType: string;
  data: Buffer;
  purpose: FilePurpose;
  agentId?: string | null;
  conversationId?: string | null;
}

/** Runs inside the storing transaction once the row exists (e.g. to attach the file to an agent). */
export type InTransaction = (m: EntityManager, file: FileEntity) => Promise<void>;

/**
 * Files as data: storing them (quota checked under a per-user lock, nothing half-stored), reading
 * their bytes, deleting them. Who may do what is the callers' business (FileAccessService for
 * HTTP; tools get their scope from the run loop).
 */
@Injectable()
export class FilesService {
  private readonly logger = new Logger('Files');

  constructor(
    private readonly db: DatabaseService,
    private readonly files: FilesRepository,
    private readonly storage: FileStorage,
    private readonly databaseStorage: DatabaseFileStorage,
    private readonly processing: FileProcessing,
    private readonly config: AppConfig,
  ) {}

  /**
   * Stores a file: bytes and row together (database storage: one transaction; S3: the object
   * first, removed again if the row fails), the owner's quota checked under a per-user lock in the
   * same transaction. `inTransaction` runs after the row is inserted, before the commit. Then
   * hands the file to FileProcessing unless it is stored `ready`.
   */
  async store(input: NewFile, inTransaction?: InTransaction, status: 'processing' | 'ready' = 'processing') {
    const now = new Date();
    const file = Object.assign(new FileEntity(), {
      id: randomUUID(),
      userId: input.userId,
      filename: sanitizeFilename(input.filename),
      mimeType: input.mimeType,
      bytes: input.data.length,
      sha256: createHash('sha256').update(input.data).digest('hex'),
      storage: this.storage.kind,
      storageKey: null as string | null,
      purpose: input.purpose,
      agentId: input.agentId ?? null,
      conversationId: input.conversationId ?? null,
      status,
      error: null,
      pages: null,
      chunkCount: 0,
      createdAt: now,
      updatedAt: now,
    } satisfies FileEntity);
    if (!this.storage.transactional) {
      file.storageKey = storageKeyOf(file);
      await this.storage.put(file, input.data);
    }
    try {
      await this.db.transaction(async (m) => {
        await this.assertRoom(m, file.userId, file.bytes);
        await this.files.insert(m, file);
        if (this.storage.transactional) await this.storage.put(file, input.data, m);
        if (inTransaction) await inTransaction(m, file);
      });
    } catch (err) {
      if (!this.storage.transactional) {
        await this.storage.delete(file).catch((e: unknown) => {
          this.logger.warn({ err: e, fileId: file.id }, 'Could not remove the object of a file that was not stored');
        });
      }
      throw err;
    }
    if (status === 'processing') {
      await this.processing.enqueue(file.id);
      return (await this.files.findById(file.id)) ?? file;
    }
    return file;
  }

  /** Stores a file a tool made: purpose `generated`, `ready` at once, counted in the user's quota. */
  saveGenerated(input: {
    userId: string;
    conversationId: string | null;
    filename: string;
    mimeType: string;
    data: Buffer;
  }): Promise<FileEntity> {
    return this.store({ ...input, purpose: 'generated' }, undefined, 'ready');
  }

  /** Which of `ids` the user owns (anything that is not a UUID is owned by nobody). */
  ownedIds(userId: string, ids: readonly string[], m?: EntityManager): Promise<Set<string>> {
    return this.files.ownedIds(
      userId,
      [...new Set(ids)].filter((id) => UUID_PATTERN.test(id)),
      m,
    );
  }

  findById(id: string): Promise<FileEntity | null> {
    return UUID_PATTERN.test(id) ? this.files.findById(id) : Promise.resolve(null);
  }

  /** The files of these ids that exist. */
  findByIds(ids: readonly string[]): Promise<FileEntity[]> {
    return this.files.findByIds([...new Set(ids)].filter((id) => UUID_PATTERN.test(id)));
  }

  pageOwnedBy(userId: string, limit: number, after?: KeysetPosition): Promise<FileEntity[]> {
    return this.files.pageOwnedBy(userId, limit, after);
  }

  usedBytes(userId: string): Promise<number> {
    return this.files.usedBytes(userId);
  }

  /** The bytes of a file, from the storage that holds them. */
  readBytes(file: FileEntity): Promise<Buffer> {
    return this.storageOf(file).get(file);
  }

  /**
   * Deletes a file: its row, its bytes and its chunks (both cascade in the database), with
   * `inTransaction` run first in the same transaction; an S3 object is removed after the commit.
   */
  async delete(file: FileEntity, inTransaction?: (m: EntityManager) => Promise<void>): Promise<void> {
    await this.db.transaction(async (m) => {
      if (inTransaction) await inTransaction(m);
      await this.files.delete(m, file.id);
    });
    if (file.storage !== 'database') {
      await this.storageOf(file)
        .delete(file)
        .catch((err: unknown) => {
          this.logger.warn({ err, fileId: file.id }, 'Could not remove the object of a deleted file');
        });
    }
  }

  private storageOf(file: FileEntity): FileStorage {
    return file.storage === 'database' ? this.databaseStorage : this.storage;
  }

  private async assertRoom(m: EntityManager, userId: string, bytes: number): Promise<void> {
    await this.files.lockQuota(m, userId);
    const used = await this.files.usedBytes(userId, m);
    const quota = this.config.files.quotaBytes;
    if (used + bytes > quota) {
      throw new PayloadTooLargeError([
        {
          field: 'file',
          message: `storing ${bytes} more bytes would exceed your quota of ${quota} bytes (${used} in use); delete files first`,
        },
      ]);
    }
  }
}
