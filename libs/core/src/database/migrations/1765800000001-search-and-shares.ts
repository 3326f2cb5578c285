import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Full-text search over a user's own messages and conversation titles, and share links
 * (docs/http-api.md § Search, § Share links):
 * - `messages.tsv` and `conversations.title_tsv`, generated from the text with the `english`
 *   configuration (the title's lexemes weighted `A`, so a title match weighs ten times one in a
 *   message), each in a GIN index on (user_id, tsv). A message's first 100,000 characters are
 *   indexed (a user's message is at most that long): a tsvector holds at most 1 MB, and an answer
 *   of millions of distinct tokens would otherwise fail its INSERT. `btree_gin` lets the owner's id share the
 *   index with the lexemes: a search reads the posting lists of the caller's id and of the
 *   query's words and intersects them inside the index, so a common word costs what the caller's
 *   matches cost, not what every user's do. PGlite loads the extension at start (EmbeddedPostgres).
 * - `conversation_shares`: a read-only public snapshot of a thread, copied into the row (title and
 *   messages, re-identified), so later messages, edits or deletions never change it. It goes with
 *   its conversation (ON DELETE CASCADE) and its owner.
 */
export class SearchAndShares1765800000001 implements MigrationInterface {
  name = 'SearchAndShares1765800000001';

  async up(q: QueryRunner): Promise<void> {
    // Trusted since PostgreSQL 13: a database owner without superuser rights may create it.
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await q.query(`ALTER TABLE messages
      ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, left(text, 100000))) STORED`);
    await q.query(`CREATE INDEX messages_user_tsv_idx ON messages USING gin (user_id, tsv)`);
    await q.query(`ALTER TABLE conversations
      ADD COLUMN title_tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, title), 'A')) STORED`);
    await q.query(`CREATE INDEX conversations_user_title_tsv_idx ON conversations USING gin (user_id, title_tsv)`);

    await q.query(`
      CREATE TABLE conversation_shares (
        id varchar(32) PRIMARY KEY,
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title varchar(256) NOT NULL,
        message_id uuid NOT NULL,
        message_count integer NOT NULL CHECK (message_count > 0),
        messages jsonb NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX conversation_shares_user_created_idx ON conversation_shares (user_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX conversation_shares_conversation_idx ON conversation_shares (conversation_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE conversation_shares`);
    await q.query(`DROP INDEX conversations_user_title_tsv_idx`);
    await q.query(`ALTER TABLE conversations DROP COLUMN title_tsv`);
    await q.query(`DROP INDEX messages_user_tsv_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN tsv`);
  }
}
