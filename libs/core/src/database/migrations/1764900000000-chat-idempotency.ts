import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys of chat starts: a retried `POST /api/agents/chat` with the same key returns the
 * original answer instead of starting twice. A row is claimed before the start (response NULL:
 * in progress) and completed in the start's transaction. Rows older than 24 hours are ignored
 * and replaced.
 */
export class ChatIdempotency1764900000000 implements MigrationInterface {
  name = 'ChatIdempotency1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat_idempotency_keys (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key varchar(255) NOT NULL,
        fingerprint char(64) NOT NULL,
        response jsonb,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await q.query(`CREATE INDEX chat_idempotency_keys_created_idx ON chat_idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat_idempotency_keys`);
  }
}
