import { Injectable } from '@nestjs/common';
import { DatabaseService } from '@agents/core';

/** Where the indexer and the tools read a stored file's bytes. */
export abstract class FileBytes {
  /** The file's bytes; rejects when the file or its content is gone. */
  abstract read(fileId: string): Promise<Buffer>;
}

/** The bytes in `file_contents`: the storage of both run modes unless S3 is configured. */
@Injectable()
export class DatabaseFileBytes extends FileBytes {
  constructor(private readonly db: DatabaseService) {
    super();
  }

  async read(fileId: string): Promise<Buffer> {
    const rows = await this.db.manager.query<{ data: Buffer }[]>(`SELECT data FROM file_contents WHERE file_id = $1`, [
      fileId,
    ]);
    if (!rows[0]) throw new Error(`The content of file ${fileId} is missing`);
    return rows[0].data;
  }
}
