/**
 * Benchmark of usage reports and budget checks at 1,000,000 recorded generations: the reports
 * (UsageRepository.aggregate, what GET /api/usage and GET /api/agents/:id/usage run) read the daily
 * roll-up; the baseline is the same report summed straight from the million records, in the same
 * run. Also what recording one generation costs (UsageRecorder.record: the record, its roll-up and
 * its reservation in one statement) and a budget check (BudgetGate.reserve: lock, spending,
 * reservation). Prints p50/p99 and the PASS/MISS of the target: a report's p50 ≤ 50 ms.
 *
 * The million records are 200 users' requests over 90 days: each user works with 3 of 50 agents,
 * an agent answers with its own model (3 models in all) and its version grows over the days (1 to
 * 4), and the first 40 users send 30% of their requests with their API key. The roll-up is built
 * from them by the statement the recorder's upsert is equivalent to (libs/usage/src/usage.int-spec.ts
 * holds the two equal).
 *
 * Runs against a fresh database on the bench's PostgreSQL server (BENCH_DATABASE_URL), dropped at
 * the end. Run with `npm run bench:usage`.
 */
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { BudgetsConfig, DatabaseService, dataSourceOptions, type AppConfig } from '@agents/core';
import {
  BudgetGate,
  PriceTable,
  UsageRecorder,
  UsageRepository,
  type UsageFilter,
  type UsageGroup,
} from '@agents/usage';
import { Cleanups, onInterrupt } from './support/cleanup';
import { createDatabase, dropDatabase, migrateDatabase, urlFor } from './support/database';
import { ms, writeResults } from './support/report';
import { type Stats, stats } from './support/stats';

const RESULTS_FILE = join(__dirname, '.results', 'usage.json');
const RECORDS = Number(process.env.BENCH_USAGE_RECORDS ?? 1_000_000);
const USERS = 200;
const AGENTS = 50;
const KEYS = 40;
const DAYS = 90;
const RUNS = 200;
/** The baseline scans the records: fewer runs keep the bench short. */
const BASELINE_RUNS = 20;
const WARMUP = 20;
const TARGET_P50_MS = 50;

const config = {
  prices: [
    { provider: 'openai', model: 'gpt-4o-mini', input: 0.15, output: 0.6 },
    { provider: 'anthropic', model: 'claude-sonnet-4-5', input: 3, output: 15 },
  ],
  budgets: plainToInstance(BudgetsConfig, { users: { daily: { tokens: 1e12 }, monthly: { cost: 1e5 } } }),
  tools: { generationTimeoutMs: 600_000 },
} as unknown as AppConfig;

const dayAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];

async function time(run: () => Promise<unknown>, runs = RUNS): Promise<Stats> {
  for (let i = 0; i < Math.min(WARMUP, runs); i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return stats(samples);
}

/** The same report as UsageRepository.aggregate, summed from the records themselves: the baseline. */
async function fromRecords(ds: DataSource, filter: UsageFilter, groups: UsageGroup[]): Promise<unknown[]> {
  const columns = groups.map(
    (g) =>
      ({
        day: `(created_at AT TIME ZONE 'UTC')::date`,
        agent: 'agent_id',
        agentVersion: 'agent_id, agent_version',
        model: 'provider, model',
        apiKey: 'api_key_id',
        user: 'user_id',
      })[g],
  );
  const params: unknown[] = [`${filter.from}T00:00:00Z`, `${filter.to}T00:00:00Z`];
  const where = [`created_at >= $1`, `created_at < $2::timestamptz + interval '1 day'`];
  if (filter.userId) where.push(`user_id = $${params.push(filter.userId)}`);
  if (filter.agentId) where.push(`agent_id = $${params.push(filter.agentId)}`);
  const select = columns.length ? `${columns.join(', ')}, ` : '';
  const group = columns.length ? `GROUP BY ${columns.join(', ')} ORDER BY ${columns.join(', ')}` : '';
  return ds.query(
    `SELECT ${select} count(*) AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cost) AS cost FROM usage_records WHERE ${where.join(' AND ')} ${group} LIMIT 1001`,
    params,
  );
}

async function seed(ds: DataSource, users: string[], agents: string[], keys: string[]): Promise<void> {
  // One statement per 100k records, drawn by generate_series with PostgreSQL's random().
  for (let done = 0; done < RECORDS; done += 100_000) {
    const n = Math.min(100_000, RECORDS - done);
    // Shaped like real use: each user works with 3 of the agents; an agent's model is its own
    // (agent i answers with model i mod 3) and its version grows over the 90 days (1 to 4); the
    // first 40 users hold one API key each and send 30% of their requests with it.
    await ds.query(
      `INSERT INTO usage_records (id, user_id, api_key_id, agent_id, agent_version, provider, model, input_tokens,
         output_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost, created_at)
       SELECT gen_random_uuid(), ($1::uuid[])[1 + r.u],
         CASE WHEN r.u < $5 AND random() < 0.3 THEN ($2::uuid[])[1 + r.u] END,
         ($3::text[])[1 + r.a], 4 - floor(r.age / 30.01)::int,
         (ARRAY['openai','anthropic','openai'])[1 + r.a % 3], (ARRAY['gpt-4o-mini','claude-sonnet-4-5','llama-local'])[1 + r.a % 3],
         r.input, r.output, 0, 0, 0,
         CASE r.a % 3 WHEN 0 THEN (r.input * 0.15 + r.output * 0.6) / 1e6 WHEN 1 THEN (r.input * 3 + r.output * 15) / 1e6 END,
         now() - r.age * interval '1 day'
       FROM (
         SELECT x.u, (x.u * 7 + floor(random() * 3 + g * 0)::int) % $6 AS a, random() * $7 AS age,
           200 + floor(random() * 4000)::int AS input, 20 + floor(random() * 800)::int AS output
         FROM generate_series(1, $4) AS g
         CROSS JOIN LATERAL (SELECT floor(random() * $8 + g * 0)::int AS u) x
       ) r`,
      [users, keys, agents, n, KEYS, AGENTS, DAYS, USERS],
    );
    process.stdout.write(`\r  ${done + n} records`);
  }
  process.stdout.write('\n');
  await ds.query(
    `INSERT INTO usage_daily (day, user_id, api_key_id, agent_id, agent_version, provider, model, requests,
       input_tokens, output_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost, unpriced_requests)
     SELECT (created_at AT TIME ZONE 'UTC')::date, user_id, api_key_id, agent_id, agent_version, provider, model,
       count(*), sum(input_tokens), sum(output_tokens), sum(reasoning_tokens), sum(cached_tokens),
       sum(cache_write_tokens), COALESCE(sum(cost), 0), count(*) FILTER (WHERE cost IS NULL)
     FROM usage_records
     GROUP BY 1, user_id, api_key_id, agent_id, agent_version, provider, model`,
  );
  await ds.query('ANALYZE usage_records');
  await ds.query('ANALYZE usage_daily');
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const cleanups = new Cleanups();
  const removeInterrupt = onInterrupt(() => cleanups.run());
  try {
    const name = `bench_usage_${randomBytes(4).toString('hex')}`;
    await createDatabase(name);
    cleanups.push(() => dropDatabase(name));
    await migrateDatabase(name);
    const ds = new DataSource(dataSourceOptions({ databaseUrl: urlFor(name), dbPoolSize: 4 }));
    await ds.initialize();
    cleanups.push(() => ds.destroy());
    const db = new DatabaseService(ds, null);
    const repository = new UsageRepository(db);

    const users = Array.from({ length: USERS }, () => randomUUID());
    const keys = Array.from({ length: KEYS }, () => randomUUID());
    const agents = Array.from({ length: AGENTS }, (_, i) => `agent_bench${String(i).padStart(16, '0')}`);
    console.log(`seeding ${RECORDS} usage records…`);
    const seedStart = performance.now();
    await seed(ds, users, agents, keys);
    const [{ rows }] = await ds.query<{ rows: string }[]>('SELECT count(*) AS rows FROM usage_daily');
    console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)}s; roll-up rows ${rows}`);

    const last30 = { from: dayAgo(29), to: dayAgo(0) };
    const last90 = { from: dayAgo(DAYS - 1), to: dayAgo(0) };
    const reports: { name: string; filter: () => UsageFilter; groups: UsageGroup[] }[] = [
      {
        name: "a user's 30 days by day, agent, model",
        filter: () => ({ ...last30, userId: pick(users) }),
        groups: ['day', 'agent', 'model'],
      },
      {
        name: "an agent's 30 days by day, version, model",
        filter: () => ({ ...last30, agentId: pick(agents) }),
        groups: ['day', 'agentVersion', 'model'],
      },
      { name: "everyone's 90 days by day and model (ADMIN)", filter: () => ({ ...last90 }), groups: ['day', 'model'] },
      { name: "a user's 90-day total", filter: () => ({ ...last90, userId: pick(users) }), groups: [] },
    ];
    const results: Record<string, unknown> = { records: RECORDS, rollupRows: Number(rows) };
    let pass = true;
    console.log(
      `\nreport                                          roll-up p50      p99 | records p50      p99 | ratio p50 | target p50 <= ${TARGET_P50_MS} ms`,
    );
    for (const report of reports) {
      const service = await time(() => repository.aggregate(report.filter(), report.groups, 1001));
      const baseline = await time(() => fromRecords(ds, report.filter(), report.groups), BASELINE_RUNS);
      const ok = service.p50 <= TARGET_P50_MS;
      pass &&= ok;
      console.log(
        `${report.name.padEnd(46)} ${ms(service.p50)} ${ms(service.p99)} | ${ms(baseline.p50)} ${ms(baseline.p99)} | ` +
          `${(service.p50 / baseline.p50).toFixed(3).padStart(9)} | ${ok ? 'PASS' : 'MISS'}`,
      );
      results[report.name] = { rollup: service, records: baseline, ratioP50: service.p50 / baseline.p50, pass: ok };
    }

    // The write path and the budget check, on the same database.
    const prices = new PriceTable(config);
    const recorder = new UsageRecorder(repository, prices);
    const gate = new BudgetGate(db, repository, prices, config);
    const record = await time(() =>
      recorder.record({
        id: randomUUID(),
        userId: pick(users),
        apiKeyId: null,
        agentId: pick(agents),
        agentVersion: 1,
        provider: 'openai',
        model: 'gpt-4o-mini',
        usage: { promptTokens: 1000, completionTokens: 200 },
        at: new Date(),
      }),
    );
    const reserve = await time(async () => {
      const id = randomUUID();
      await gate.reserve({ id, userId: pick(users), provider: 'openai', model: 'gpt-4o-mini' });
      await gate.release(id);
    });
    console.log(`\nrecord one generation (record + roll-up + release)  p50 ${ms(record.p50)} p99 ${ms(record.p99)}`);
    console.log(
      `budget check (lock, day + month spending, reserve) + release  p50 ${ms(reserve.p50)} p99 ${ms(reserve.p99)}`,
    );
    results.record = record;
    results.reserveAndRelease = reserve;
    results.pass = pass;
    console.log(`\n${pass ? 'PASS' : 'MISS'}: every report's p50 <= ${TARGET_P50_MS} ms at ${RECORDS} records`);
    writeResults(RESULTS_FILE, results, startedAt);
  } finally {
    removeInterrupt();
    await cleanups.run();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
