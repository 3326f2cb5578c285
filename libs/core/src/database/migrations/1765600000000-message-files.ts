import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The files a user attached to a message (`{file_id, filename, type, bytes}` each), stored with
 * the message so the worker gives them to the model and a conversation read back lists them.
 */
export class MessageFiles1765600000000 implements MigrationInterface {
  name = 'MessageFiles1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages ADD COLUMN files jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP COLUMN files`);
  }
}
