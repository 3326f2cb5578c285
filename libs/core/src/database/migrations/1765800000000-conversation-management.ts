import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations their users manage (docs/http-api.md § Conversations):
 * - `conversations.is_archived`: archived conversations leave the default list. The list's index
 *   gains the flag, so either list (archived or not) is one ordered range of
 *   `(user_id, is_archived, updated_at DESC, id DESC)`; it replaces the index without the flag,
 *   whose every other use (a user's conversations, for deleting them all) the new one serves too.
 * - `messages.edited`: an answer whose text its user changed.
 * - `messages.feedback_*`: the user's rating of an answer, with an optional reason and comment;
 *   deleted with the message. Editors read it counted per agent version, through a partial index
 *   that holds only rated answers.
 */
export class ConversationManagement1765800000000 implements MigrationInterface {
  name = 'ConversationManagement1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversations ADD COLUMN is_archived boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE INDEX conversations_user_archived_updated_idx ON conversations (user_id, is_archived, updated_at DESC, id DESC)`,
    );
    await q.query(`DROP INDEX conversations_user_updated_idx`);

    await q.query(`ALTER TABLE messages
      ADD COLUMN edited boolean NOT NULL DEFAULT false,
      ADD COLUMN feedback_rating varchar(16),
      ADD COLUMN feedback_tag varchar(64),
      ADD COLUMN feedback_text varchar(1000),
      ADD COLUMN feedback_at timestamptz(3)`);
    await q.query(`ALTER TABLE messages ADD CONSTRAINT messages_feedback_check CHECK (
      (feedback_rating IS NULL AND feedback_tag IS NULL AND feedback_text IS NULL AND feedback_at IS NULL)
      OR (feedback_rating IN ('thumbsUp', 'thumbsDown') AND feedback_at IS NOT NULL))`);
    await q.query(
      `CREATE INDEX messages_agent_feedback_idx ON messages (agent_id, agent_version) WHERE feedback_rating IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX messages_agent_feedback_idx`);
    await q.query(`ALTER TABLE messages DROP CONSTRAINT messages_feedback_check`);
    await q.query(`ALTER TABLE messages
      DROP COLUMN feedback_at, DROP COLUMN feedback_text, DROP COLUMN feedback_tag, DROP COLUMN feedback_rating,
      DROP COLUMN edited`);
    await q.query(`CREATE INDEX conversations_user_updated_idx ON conversations (user_id, updated_at DESC, id DESC)`);
    await q.query(`DROP INDEX conversations_user_archived_updated_idx`);
    await q.query(`ALTER TABLE conversations DROP COLUMN is_archived`);
  }
}
