import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rest of LibreChat's agent schema, so its agent builder can save agents here: artifacts mode,
 * recursion limit, support contact, agent graph edges, the two sequential-run switches and the
 * catalogue's "promoted" flag. Columns rather than one JSON blob: each has a type and a default
 * the database enforces, and `is_promoted` filters lists in SQL. Existing agents get the defaults,
 * which are what LibreChat assumes when a field is absent.
 */
export class AgentLibreChatFields1765210000000 implements MigrationInterface {
  name = 'AgentLibreChatFields1765210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE agents
        ADD COLUMN artifacts varchar(16) NOT NULL DEFAULT '',
        ADD COLUMN recursion_limit integer CHECK (recursion_limit >= 1),
        ADD COLUMN support_contact jsonb,
        ADD COLUMN edges jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN end_after_tools boolean NOT NULL DEFAULT false,
        ADD COLUMN hide_sequential_outputs boolean NOT NULL DEFAULT false,
        ADD COLUMN is_promoted boolean NOT NULL DEFAULT false`);
    // Promoted agents are few: a partial index keeps `?promoted=1` pages cheap without costing other writes.
    await q.query(`CREATE INDEX agents_promoted_updated_idx ON agents (updated_at DESC, id DESC) WHERE is_promoted`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX agents_promoted_updated_idx`);
    await q.query(`
      ALTER TABLE agents
        DROP COLUMN is_promoted,
        DROP COLUMN hide_sequential_outputs,
        DROP COLUMN end_after_tools,
        DROP COLUMN edges,
        DROP COLUMN support_contact,
        DROP COLUMN recursion_limit,
        DROP COLUMN artifacts`);
  }
}
