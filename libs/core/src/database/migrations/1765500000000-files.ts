import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Uploaded and generated files: their metadata (`files`), their bytes when the database stores
 * them (`file_contents`, the default in both run modes) and the chunks of their extracted text,
 * indexed for full-text search (`file_chunks`).
 */
export class Files1765500000000 implements MigrationInterface {
  name = 'Files1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE files (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        filename varchar(255) NOT NULL,
        mime_type varchar(255) NOT NULL,
        bytes bigint NOT NULL CHECK (bytes >= 0),
        sha256 char(64) NOT NULL,
        storage varchar(16) NOT NULL,
        storage_key varchar(512),
        purpose varchar(32) NOT NULL,
        agent_id varchar(32),
        conversation_id uuid,
        status varchar(16) NOT NULL,
        error text,
        pages integer,
        chunk_count integer NOT NULL DEFAULT 0,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX files_user_created_idx ON files (user_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX files_conversation_idx ON files (conversation_id) WHERE conversation_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE file_contents (
        file_id uuid PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
        data bytea NOT NULL
      )`);
    await q.query(`
      CREATE TABLE file_chunks (
        file_id uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        page integer,
        text text NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        PRIMARY KEY (file_id, seq)
      )`);
    await q.query(`CREATE INDEX file_chunks_tsv_idx ON file_chunks USING gin (tsv)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE file_chunks`);
    await q.query(`DROP TABLE file_contents`);
    await q.query(`DROP TABLE files`);
  }
}
