import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored Responses API exchanges (`POST /api/agents/v1/responses` with `store: true`): the response
 * object as returned and the conversation it ends, so `previous_response_id` can continue it.
 * Owned by a user; agent ids are kept as plain values (a deleted agent leaves its answers readable).
 */
export class Responses1764800000000 implements MigrationInterface {
  name = 'Responses1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE responses (
        id varchar(64) PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        agent_id varchar(32) NOT NULL,
        status varchar(16) NOT NULL,
        body jsonb NOT NULL,
        conversation jsonb NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX responses_user_created_idx ON responses (user_id, created_at)`);
    await q.query(`CREATE INDEX responses_created_idx ON responses (created_at)`); // retention purge
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE responses`);
  }
}
