import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an answer's tools handed the user beside its text (web search citations, MCP images and
 * resources), stored with the message so a conversation read back shows what the stream showed.
 */
export class MessageAttachments1765400000000 implements MigrationInterface {
  name = 'MessageAttachments1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP COLUMN attachments`);
  }
}
