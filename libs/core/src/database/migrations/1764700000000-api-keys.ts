import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys for the OpenAI-compatible API: only a SHA-256 hash of each key is ever stored. */
export class ApiKeys1764700000000 implements MigrationInterface {
  name = 'ApiKeys1764700000000';

  async up(q: QueryRunner): Promise<void> {
    // The CHECK makes it impossible to store a key in clear where its hash belongs.
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        key_hash char(64) NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
        key_prefix varchar(16) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3),
        last_used_at timestamptz(3),
        CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
      )`);
    // Keyset pagination of a user's keys, newest first.
    await q.query(`CREATE INDEX api_keys_user_created_idx ON api_keys (user_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
  }
}
