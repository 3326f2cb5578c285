import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored responses stop copying their conversation: a row keeps its own turn (`messages`: the new
 * input messages and the answer, `chars` their size) and a link to the response it continued, and
 * `previous_response_id` rebuilds the conversation by walking those links. Storing the whole
 * conversation in every response grew quadratically with the chain. Rows stored before keep their
 * `conversation` and are read as they are: a walk ends at the first such row.
 */
export class ResponseChains1765030000000 implements MigrationInterface {
  name = 'ResponseChains1765030000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE responses ALTER COLUMN conversation DROP NOT NULL`);
    // No foreign key: the response continued may expire first, which ends the walk there.
    await q.query(`ALTER TABLE responses ADD COLUMN previous_response_id varchar(64)`);
    await q.query(`ALTER TABLE responses ADD COLUMN messages jsonb`);
    // Characters of `messages`' text, so a walk can stop at the context budget without reading them (0 on older rows).
    await q.query(`ALTER TABLE responses ADD COLUMN chars integer NOT NULL DEFAULT 0`);
    await q.query(
      `ALTER TABLE responses ADD CONSTRAINT responses_one_history_check CHECK ((conversation IS NULL) <> (messages IS NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE responses DROP CONSTRAINT responses_one_history_check`);
    // Back to whole conversations: oldest first, each row's is the one it continued plus its own turn.
    await q.query(`
      DO $$
      DECLARE r record;
      BEGIN
        FOR r IN SELECT id FROM responses WHERE conversation IS NULL ORDER BY created_at, id LOOP
          UPDATE responses c SET conversation = coalesce(
              (SELECT p.conversation FROM responses p WHERE p.id = c.previous_response_id), '[]'::jsonb) || c.messages
           WHERE c.id = r.id;
        END LOOP;
      END $$`);
    await q.query(`ALTER TABLE responses DROP COLUMN chars`);
    await q.query(`ALTER TABLE responses DROP COLUMN messages`);
    await q.query(`ALTER TABLE responses DROP COLUMN previous_response_id`);
    await q.query(`ALTER TABLE responses ALTER COLUMN conversation SET NOT NULL`);
  }
}
