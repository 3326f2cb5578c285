import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, agents and the append-only agent history. */
export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(320) NOT NULL,
        name varchar(128) NOT NULL,
        password_hash varchar(256) NOT NULL,
        role varchar(16) NOT NULL DEFAULT 'USER' CHECK (role IN ('ADMIN', 'USER')),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`);

    await q.query(`
      CREATE TABLE agents (
        id varchar(32) PRIMARY KEY,
        name varchar(256) NOT NULL,
        description text,
        instructions text,
        provider varchar(64) NOT NULL,
        model varchar(256) NOT NULL,
        model_parameters jsonb NOT NULL DEFAULT '{}',
        tools jsonb NOT NULL DEFAULT '[]',
        tool_resources jsonb NOT NULL DEFAULT '{}',
        author uuid NOT NULL REFERENCES users (id),
        avatar jsonb,
        category varchar(64) NOT NULL DEFAULT 'general',
        conversation_starters jsonb NOT NULL DEFAULT '[]',
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // Keyset pagination: newest first, per author, optionally per category.
    await q.query(`CREATE INDEX agents_author_updated_idx ON agents (author, updated_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX agents_author_category_updated_idx ON agents (author, category, updated_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX agents_updated_idx ON agents (updated_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE agent_versions (
        agent_id varchar(32) NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version >= 1),
        snapshot jsonb NOT NULL,
        created_by uuid NOT NULL REFERENCES users (id),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, version)
      )`);
    // History is append-only: the database itself refuses to rewrite a version.
    await q.query(`
      CREATE FUNCTION agent_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'agent_versions is append-only' USING ERRCODE = 'restrict_violation';
      END $$`);
    await q.query(`
      CREATE TRIGGER agent_versions_no_update BEFORE UPDATE ON agent_versions
      FOR EACH ROW EXECUTE FUNCTION agent_versions_immutable()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agent_versions`);
    await q.query(`DROP FUNCTION agent_versions_immutable()`);
    await q.query(`DROP TABLE agents`);
    await q.query(`DROP TABLE users`);
  }
}
