import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Conversations and their messages, threaded by parent links. */
export class Conversations1764600000000 implements MigrationInterface {
  name = 'Conversations1764600000000';

  async up(q: QueryRunner): Promise<void> {
    // agent_id has no foreign key: a conversation stays readable by its owner after the agent is deleted.
    await q.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        agent_id varchar(32) NOT NULL,
        title varchar(256) NOT NULL DEFAULT 'New Chat',
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX conversations_user_updated_idx ON conversations (user_id, updated_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        parent_message_id uuid REFERENCES messages (id) ON DELETE SET NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        sender varchar(256) NOT NULL,
        is_created_by_user boolean NOT NULL,
        text text NOT NULL DEFAULT '',
        content jsonb NOT NULL DEFAULT '[]',
        unfinished boolean NOT NULL DEFAULT false,
        error boolean NOT NULL DEFAULT false,
        agent_id varchar(32),
        model varchar(256),
        prompt_tokens integer,
        completion_tokens integer,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at, id)`);
    await q.query(`CREATE INDEX messages_parent_idx ON messages (parent_message_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE messages`);
    await q.query(`DROP TABLE conversations`);
  }
}
