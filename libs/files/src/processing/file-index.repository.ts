import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService } from '@agents/core';
import type { TextChunk } from './chunking';

/** What the indexer needs to know of a file. */
export interface IndexableFile {
  id: string;
  filename: string;
  mimeType: string;
  purpose: string;
}

/** Rows per INSERT: 3 parameters each, far below PostgreSQL's 65,535, and about 0.5 MB of text. */
const INSERT_BATCH = 500;

/** The queries of indexing: a file's row, its chunks and its processing status. */
@Injectable()
export class FileIndexRepository {
  constructor(private readonly db: DatabaseService) {}

  async findIndexable(fileId: string): Promise<IndexableFile | null> {
    const rows = await this.db.manager.query<IndexableFile[]>(
      `SELECT id, filename, mime_type AS "mimeType", purpose FROM files WHERE id = $1`,
      [fileId],
    );
    return rows[0] ?? null;
  }

  /**
   * Replaces the file's chunks and marks it ready, in one transaction; the file's row is locked
   * first, so two runs for one file take turns and the last one's chunks stand. False when the
   * file was deleted meanwhile.
   */
  storeChunks(fileId: string, chunks: readonly TextChunk[], pages: number | null): Promise<boolean> {
    return this.db.transaction(async (m) => {
      if (!(await this.lock(m, fileId))) return false;
      await m.query(`DELETE FROM file_chunks WHERE file_id = $1`, [fileId]);
      for (let from = 0; from < chunks.length; from += INSERT_BATCH) {
        const batch = chunks.slice(from, from + INSERT_BATCH);
        const values: unknown[] = [fileId];
        const rows = batch.map((chunk) => {
          values.push(chunk.seq, chunk.page, chunk.text);
          const n = values.length;
          return `($1, $${n - 2}, $${n - 1}, $${n})`;
        });
        await m.query(`INSERT INTO file_chunks (file_id, seq, page, text) VALUES ${rows.join(', ')}`, values);
      }
      await m.query(
        `UPDATE files SET status = 'ready', error = NULL, pages = $2, chunk_count = $3, updated_at = now() WHERE id = $1`,
        [fileId, pages, chunks.length],
      );
      return true;
    });
  }

  /** Marks the file failed with a reason for its owner; its chunks (of an earlier run) go. */
  async markFailed(fileId: string, error: string): Promise<void> {
    await this.db.transaction(async (m) => {
      if (!(await this.lock(m, fileId))) return;
      await m.query(`DELETE FROM file_chunks WHERE file_id = $1`, [fileId]);
      await m.query(
        `UPDATE files SET status = 'failed', error = $2, pages = NULL, chunk_count = 0, updated_at = now() WHERE id = $1`,
        [fileId, error],
      );
    });
  }

  private async lock(m: EntityManager, fileId: string): Promise<boolean> {
    const rows = await m.query<unknown[]>(`SELECT 1 FROM files WHERE id = $1 FOR UPDATE`, [fileId]);
    return rows.length === 1;
  }
}
