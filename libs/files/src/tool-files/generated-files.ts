import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { AppConfig, DatabaseService } from '@agents/core';
import type { ToolFileRef } from '@agents/tools';

/** A file a tool made, to store for the user. */
export interface GeneratedFileInput {
  userId: string;
  conversationId: string | null;
  filename: string;
  mimeType: string;
  data: Buffer;
}

/** Thrown when storing a file would take the user past FILE_QUOTA_BYTES. */
export class FileQuotaExceededError extends Error {
  override readonly name = 'FileQuotaExceededError';
}

/** Where the files tools make are stored: one method, so the files service can take it over. */
export abstract class GeneratedFiles {
  abstract save(file: GeneratedFileInput): Promise<ToolFileRef>;
}

/** A name safe to show and to download as: no folders, no control characters, at most 255 characters. */
export function safeFilename(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (clean || 'file').slice(0, 255);
}

/**
 * Stores generated files in the database (`files` + `file_contents`), ready at once, within the
 * user's quota: the user's row is locked while the quota is checked and the file inserted, so two
 * tools saving at once cannot both slip under it.
 */
@Injectable()
export class DatabaseGeneratedFiles extends GeneratedFiles {
  constructor(
    private readonly db: DatabaseService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  save(file: GeneratedFileInput): Promise<ToolFileRef> {
    const id = randomUUID();
    const filename = safeFilename(file.filename);
    const mimeType = file.mimeType.slice(0, 255) || 'application/octet-stream';
    const quota = this.config.files.quotaBytes;
    return this.db.transaction(async (m) => {
      await m.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [file.userId]);
      const [{ used }] = await m.query<{ used: string }[]>(
        `SELECT coalesce(sum(bytes), 0) AS used FROM files WHERE user_id = $1`,
        [file.userId],
      );
      if (Number(used) + file.data.length > quota) {
        throw new FileQuotaExceededError(
          `Cannot save ${filename}: it would take your files past your storage quota of ${formatBytes(quota)} ` +
            `(${formatBytes(Number(used))} used); delete some files first`,
        );
      }
      await m.query(
        `INSERT INTO files (id, user_id, filename, mime_type, bytes, sha256, storage, purpose, conversation_id, status)
         VALUES ($1, $2, $3, $4, $5, $6, 'database', 'generated', $7, 'ready')`,
        [
          id,
          file.userId,
          filename,
          mimeType,
          file.data.length,
          createHash('sha256').update(file.data).digest('hex'),
          file.conversationId,
        ],
      );
      await m.query(`INSERT INTO file_contents (file_id, data) VALUES ($1, $2)`, [id, file.data]);
      return { id, filename, mimeType, bytes: file.data.length };
    });
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}
