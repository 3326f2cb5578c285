import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService } from '@agents/core';
import { FilesService } from '@agents/files';
import type { MessageFileRef } from './message.entity';

/** A stored file as chat needs it: whose it is, what it is, and the conversation it belongs to. */
export interface ChatFileRow {
  id: string;
  userId: string;
  filename: string;
  mimeType: string;
  bytes: number;
  purpose: string;
  conversationId: string | null;
  status: string;
}

/** The reference a message keeps of an attached file. */
export function messageFileRef(file: ChatFileRow): MessageFileRef {
  return { file_id: file.id, filename: file.filename, type: file.mimeType, bytes: file.bytes };
}

/**
 * What chat and the OpenAI-compatible API need of the files store: which of some ids a user owns,
 * attaching files to a conversation (so its tools see them), and a file's bytes. Used as the
 * injection token; {@link SqlChatFiles} implements it over the `files` tables.
 */
export abstract class ChatFiles {
  /** The files among `ids` that `userId` owns, in no particular order; ids that are not files are left out. */
  abstract owned(userId: string, ids: readonly string[]): Promise<ChatFileRow[]>;
  /** Attaches the files to the conversation, in the caller's transaction. */
  abstract attach(ids: readonly string[], conversationId: string, manager: EntityManager): Promise<void>;
  /**
   * Detaches the user's files from the conversations (being deleted, in the caller's transaction):
   * the files stay the user's own, attached to no conversation.
   */
  abstract detach(userId: string, conversationIds: readonly string[], manager: EntityManager): Promise<void>;
  /** A file's bytes, or null when they cannot be read (the file is gone, or stored elsewhere). */
  abstract content(fileId: string): Promise<Buffer | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Row as the `files` query returns it (bigint comes back as a string). */
interface FileQueryRow {
  id: string;
  user_id: string;
  filename: string;
  mime_type: string;
  bytes: string | number;
  purpose: string;
  conversation_id: string | null;
  status: string;
}

/**
 * {@link ChatFiles} over the `files` table and the bytes the database stores (`file_contents`, the
 * default storage). A file kept in another storage has no bytes here: `content` is null for it.
 */
@Injectable()
export class SqlChatFiles extends ChatFiles {
  constructor(private readonly db: DatabaseService) {
    super();
  }

  async owned(userId: string, ids: readonly string[]): Promise<ChatFileRow[]> {
    // An id that is not a UUID names no file (and must not reach the uuid cast).
    const uuids = ids.filter((id) => UUID.test(id));
    if (uuids.length === 0) return [];
    const rows = await this.db.manager.query<FileQueryRow[]>(
      `SELECT id, user_id, filename, mime_type, bytes, purpose, conversation_id, status
         FROM files WHERE user_id = $1 AND id = ANY($2::uuid[])`,
      [userId, uuids],
    );
    return rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      filename: row.filename,
      mimeType: row.mime_type,
      bytes: Number(row.bytes),
      purpose: row.purpose,
      conversationId: row.conversation_id,
      status: row.status,
    }));
  }

  async attach(ids: readonly string[], conversationId: string, manager: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`UPDATE files SET conversation_id = $1, updated_at = now() WHERE id = ANY($2::uuid[])`, [
      conversationId,
      [...ids],
    ]);
  }

  async detach(userId: string, conversationIds: readonly string[], manager: EntityManager): Promise<void> {
    if (conversationIds.length === 0) return;
    await manager.query(
      `UPDATE files SET conversation_id = NULL, updated_at = now()
        WHERE user_id = $1 AND conversation_id = ANY($2::uuid[])`,
      [userId, [...conversationIds]],
    );
  }

  async content(fileId: string): Promise<Buffer | null> {
    const rows = await this.db.manager.query<{ data: Uint8Array }[]>(
      `SELECT data FROM file_contents WHERE file_id = $1`,
      [fileId],
    );
    const data = rows[0]?.data;
    // node-postgres gives a Buffer, PGlite a Uint8Array.
    if (!data) return null;
    return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
}

/**
 * ChatFiles whose bytes come through the files service, from wherever the file is stored (the
 * database or S3); the rows are read as SqlChatFiles reads them.
 */
@Injectable()
export class StoredChatFiles extends SqlChatFiles {
  constructor(
    db: DatabaseService,
    private readonly files: FilesService,
  ) {
    super(db);
  }

  override async content(fileId: string): Promise<Buffer | null> {
    const file = await this.files.findById(fileId);
    if (!file) return null;
    return this.files.readBytes(file).catch(() => null);
  }
}
