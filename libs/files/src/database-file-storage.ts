import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService } from '@agents/core';
import type { FileEntity } from './file.entity';
import { FileStorage } from './file-storage';

/**
 * Bytes in `file_contents` (bytea), one row per file, removed with the file row by its foreign key.
 * Transactional: the bytes and the metadata are committed together or not at all.
 */
@Injectable()
export class DatabaseFileStorage extends FileStorage {
  readonly kind = 'database';
  readonly transactional = true;

  constructor(private readonly db: DatabaseService) {
    super();
  }

  async put(file: FileEntity, data: Buffer, m: EntityManager = this.db.manager): Promise<void> {
    await m.query(
      `INSERT INTO file_contents (file_id, data) VALUES ($1, $2)
       ON CONFLICT (file_id) DO UPDATE SET data = EXCLUDED.data`,
      [file.id, data],
    );
  }

  async get(file: FileEntity): Promise<Buffer> {
    const rows = await this.db.manager.query<
      {
        data: Buffer | Uint8Array;
      }[]
    >(`SELECT data FROM file_contents WHERE file_id = $1`, [file.id]);
    const row = rows[0];
    if (!row) throw new Error(`The bytes of file ${file.id} are missing`);
    return Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data);
  }

  async delete(file: FileEntity, m: EntityManager = this.db.manager): Promise<void> {
    await m.query(`DELETE FROM file_contents WHERE file_id = $1`, [file.id]);
  }
}
