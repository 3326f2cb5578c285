import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The OpenAI-compatible API takes an agent's name as `model` (gateways configure models by name):
 * the lookup matches `lower(name)` (exact case first, any case otherwise) among the agents the
 * caller may USE, and this index keeps it a probe however many agents exist.
 */
export class AgentNameIndex1765300000000 implements MigrationInterface {
  name = 'AgentNameIndex1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX agents_lower_name_idx ON agents (lower(name))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX agents_lower_name_idx`);
  }
}
