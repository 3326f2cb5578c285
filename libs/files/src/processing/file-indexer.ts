import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DEFAULT_CHUNKING, chunkPages, type ChunkingOptions } from './chunking';
import { extractText } from './extract-text';
import { DEFAULT_EXTRACTION_LIMITS, ExtractionError, type ExtractionLimits } from './extracted-text';
import { FileBytes } from './file-bytes';
import { FileIndexRepository, type IndexableFile } from './file-index.repository';
import { documentKind } from './text-formats';

/** The bounds of indexing one file; defaults: DEFAULT_EXTRACTION_LIMITS and DEFAULT_CHUNKING. */
export interface FileIndexingOptions {
  extraction: ExtractionLimits;
  chunking: ChunkingOptions;
}

export const FILE_INDEXING_OPTIONS = Symbol('FILE_INDEXING_OPTIONS');

/** What one run did. `missing`: the file was deleted before or while it ran. */
export type IndexOutcome =
  | { status: 'ready'; chunks: number; pages: number | null }
  | { status: 'failed'; error: string }
  | { status: 'missing' };

/** Told to the owner when indexing failed for a reason that is not the file's (a database outage…). */
export const UNEXPECTED_FAILURE = 'The file could not be processed; try uploading it again';

/**
 * Turns a stored file into searchable chunks: reads its bytes, extracts the text, cuts it into
 * chunks and stores them, and sets the file's status (`ready`, or `failed` with a reason its owner
 * can read). Idempotent: a second run replaces the chunks of the first.
 */
@Injectable()
export class FileIndexer {
  private readonly logger = new Logger('FileIndexer');
  private readonly options: FileIndexingOptions;

  constructor(
    private readonly files: FileIndexRepository,
    private readonly bytes: FileBytes,
    @Optional() @Inject(FILE_INDEXING_OPTIONS) options?: Partial<FileIndexingOptions>,
  ) {
    this.options = { extraction: DEFAULT_EXTRACTION_LIMITS, chunking: DEFAULT_CHUNKING, ...options };
  }

  /**
   * A file that cannot give text (damaged, a scan, too big) ends `failed` and this resolves. An
   * unexpected failure (the database, the storage) rejects, for the caller to retry; the file is
   * marked failed only when `lastAttempt` says no retry follows.
   */
  async process(fileId: string, { lastAttempt = true }: { lastAttempt?: boolean } = {}): Promise<IndexOutcome> {
    try {
      const file = await this.files.findIndexable(fileId);
      if (!file) return { status: 'missing' };
      if (!needsText(file)) return await this.store(fileId, [], null);
      const data = await this.bytes.read(fileId);
      const { pages } = await extractText(data, file.mimeType, file.filename, this.options.extraction);
      const chunks = chunkPages(pages, this.options.chunking);
      const paged = pages.some((page) => page.page !== null);
      return await this.store(fileId, chunks, paged ? pages.length : null);
    } catch (err) {
      if (err instanceof ExtractionError) {
        await this.files.markFailed(fileId, err.message);
        return { status: 'failed', error: err.message };
      }
      this.logger.error(`Processing file ${fileId} failed: ${err instanceof Error ? err.message : String(err)}`);
      if (lastAttempt) await this.files.markFailed(fileId, UNEXPECTED_FAILURE).catch(() => undefined);
      throw err;
    }
  }

  /** Marks the file failed with `reason` (the processor, giving up on it at shutdown). */
  async fail(fileId: string, reason: string): Promise<void> {
    await this.files.markFailed(fileId, reason);
  }

  private async store(
    fileId: string,
    chunks: Parameters<FileIndexRepository['storeChunks']>[1],
    pages: number | null,
  ): Promise<IndexOutcome> {
    return (await this.files.storeChunks(fileId, chunks, pages))
      ? { status: 'ready', chunks: chunks.length, pages }
      : { status: 'missing' };
  }
}

/**
 * Whether the file's text is wanted: a file meant for file_search always (one with no text fails,
 * saying why); any other (an attachment, a code interpreter input, a generated file) only when its
 * type has text — an image or an archive is simply ready, with no chunks.
 */
export function needsText(file: Pick<IndexableFile, 'purpose' | 'mimeType' | 'filename'>): boolean {
  return file.purpose === 'file_search' || documentKind(file.mimeType, file.filename) !== null;
}
