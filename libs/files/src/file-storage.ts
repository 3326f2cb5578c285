import type { EntityManager } from 'typeorm';
import type { FileEntity, StorageKind } from './file.entity';

/**
 * Where the bytes of files live. Implementations: DatabaseFileStorage (`file_contents`) and
 * S3FileStorage. Injected by this class as its token; the configured one (FILE_STORAGE) is bound.
 *
 * `transactional` storages write inside the transaction that inserts the file row (pass its
 * manager as `m`, after the row exists); the others are written before the row and removed again
 * if the row cannot be inserted.
 */
export abstract class FileStorage {
  abstract readonly kind: StorageKind;
  abstract readonly transactional: boolean;
  /** Stores the bytes of `file` (whose `id`, `userId` and `storageKey` are set). */
  abstract put(file: FileEntity, data: Buffer, m?: EntityManager): Promise<void>;
  /** The bytes of `file`; throws when they are missing. */
  abstract get(file: FileEntity): Promise<Buffer>;
  /** Removes the bytes of `file`; removing what is already gone is not an error. */
  abstract delete(file: FileEntity, m?: EntityManager): Promise<void>;
}

/** The S3 object key of a file. */
export function storageKeyOf(file: Pick<FileEntity, 'id' | 'userId'>): string {
  return `files/${file.userId}/${file.id}`;
}
