import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * Stores a file for a user straight in the database, as the files upload would (its row and its
 * bytes in the default storage). Returns its id.
 */
export async function insertStoredFile(
  databaseUrl: string,
  userId: string,
  file: { filename: string; mimeType: string; data: Buffer; purpose?: string },
): Promise<string> {
  const id = randomUUID();
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO files (id, user_id, filename, mime_type, bytes, sha256, storage, purpose, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'database', $7, 'ready')`,
      [
        id,
        userId,
        file.filename,
        file.mimeType,
        file.data.length,
        createHash('sha256').update(file.data).digest('hex'),
        file.purpose ?? 'user_data',
      ],
    );
    await db.query(`INSERT INTO file_contents (file_id, data) VALUES ($1, $2)`, [id, file.data]);
  } finally {
    await db.end();
  }
  return id;
}

/** The conversation a stored file is attached to (null when none). */
export async function conversationOfFile(databaseUrl: string, fileId: string): Promise<string | null> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const rows = await db.query<{ conversation_id: string | null }>(`SELECT conversation_id FROM files WHERE id = $1`, [
      fileId,
    ]);
    return rows.rows[0]?.conversation_id ?? null;
  } finally {
    await db.end();
  }
}
