import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage and budgets (docs/http-api.md § Usage and budgets):
 * - `usage_records`, one row per generation (its id is the response's id), chat and the
 *   OpenAI-compatible API alike: who, which API key, which agent version, provider and model,
 *   the token counts and the cost. It holds no content, so deleting conversations keeps it.
 * - `usage_daily`, the same rolled up per UTC day and (user, key, agent version, model), kept in
 *   the transaction that writes each record: what the usage routes and budget checks read.
 * - `usage_reservations`, what running requests hold against budgets until their usage is known.
 * - `usage_budgets`, limits an ADMIN set for one user or key (the config file gives the defaults).
 * - messages gain their reasoning and cached token counts, provider and agent version.
 */
export class Usage1765700000000 implements MigrationInterface {
  name = 'Usage1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages
      ADD COLUMN reasoning_tokens integer,
      ADD COLUMN cached_tokens integer,
      ADD COLUMN provider varchar(64),
      ADD COLUMN agent_version integer`);
    await q.query(`CREATE TABLE usage_records (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL,
      api_key_id uuid,
      agent_id varchar(32) NOT NULL,
      agent_version integer NOT NULL,
      provider varchar(64) NOT NULL,
      model varchar(256) NOT NULL,
      input_tokens integer NOT NULL,
      output_tokens integer NOT NULL,
      reasoning_tokens integer NOT NULL,
      cached_tokens integer NOT NULL,
      cache_write_tokens integer NOT NULL,
      cost numeric(20, 9),
      created_at timestamptz(3) NOT NULL
    )`);
    await q.query(`CREATE INDEX usage_records_user_created ON usage_records (user_id, created_at)`);
    await q.query(`CREATE TABLE usage_daily (
      day date NOT NULL,
      user_id uuid NOT NULL,
      api_key_id uuid,
      agent_id varchar(32) NOT NULL,
      agent_version integer NOT NULL,
      provider varchar(64) NOT NULL,
      model varchar(256) NOT NULL,
      requests integer NOT NULL,
      input_tokens bigint NOT NULL,
      output_tokens bigint NOT NULL,
      reasoning_tokens bigint NOT NULL,
      cached_tokens bigint NOT NULL,
      cache_write_tokens bigint NOT NULL,
      cost numeric(20, 9) NOT NULL,
      unpriced_requests integer NOT NULL
    )`);
    // One row per day and (user, key, agent version, model); a request without a key is the NULL key.
    await q.query(`CREATE UNIQUE INDEX usage_daily_key ON usage_daily
      (user_id, day, agent_id, agent_version, provider, model, api_key_id) NULLS NOT DISTINCT`);
    await q.query(`CREATE INDEX usage_daily_agent_day ON usage_daily (agent_id, day)`);
    await q.query(`CREATE INDEX usage_daily_api_key_day ON usage_daily (api_key_id, day) WHERE api_key_id IS NOT NULL`);
    await q.query(`CREATE INDEX usage_daily_day ON usage_daily (day)`);
    await q.query(`CREATE TABLE usage_reservations (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL,
      api_key_id uuid,
      tokens bigint NOT NULL,
      cost numeric(20, 9) NOT NULL,
      expires_at timestamptz(3) NOT NULL
    )`);
    await q.query(`CREATE INDEX usage_reservations_user ON usage_reservations (user_id)`);
    await q.query(
      `CREATE INDEX usage_reservations_api_key ON usage_reservations (api_key_id) WHERE api_key_id IS NOT NULL`,
    );
    await q.query(`CREATE TABLE usage_budgets (
      subject_type varchar(8) NOT NULL CHECK (subject_type IN ('user', 'api_key')),
      subject_id uuid NOT NULL,
      period varchar(8) NOT NULL CHECK (period IN ('daily', 'monthly')),
      max_tokens bigint,
      max_cost numeric(20, 9),
      updated_at timestamptz(3) NOT NULL,
      PRIMARY KEY (subject_type, subject_id, period)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE usage_budgets`);
    await q.query(`DROP TABLE usage_reservations`);
    await q.query(`DROP TABLE usage_daily`);
    await q.query(`DROP TABLE usage_records`);
    await q.query(`ALTER TABLE messages
      DROP COLUMN reasoning_tokens, DROP COLUMN cached_tokens, DROP COLUMN provider, DROP COLUMN agent_version`);
  }
}
