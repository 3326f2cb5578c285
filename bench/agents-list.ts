/**
 * Benchmark of `GET /api/agents` (docs/http-api.md § Pagination): does a page cost the same whether
 * the database holds 1,000 or 100,000 agents? Boots the real api app in-process on a throwaway
 * PostgreSQL database, seeds it with set-based SQL, and measures the first page and the deepest
 * page of one user through HTTP. See bench/README.md. Run with `npm run bench:agents-list`.
 */
import { createHash } from 'node:crypto';
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import { SelectQueryBuilder, type ObjectLiteral } from 'typeorm';
import { PermissionBits } from '@agents/acl';
import { AgentEntity, AgentsRepository, type AgentListFilter } from '@agents/agents';
import { DatabaseService, containsPattern, loadConfig } from '@agents/core';
import { AppModule } from '../apps/api/src/app.module';
import { configureApp } from '../apps/api/src/configure-app';
import { Cleanups, onInterrupt } from './support/cleanup';
import { HttpClient } from './support/client';
import { ADMIN_URL, createDatabase, dropDatabase, migrateDatabase, urlFor, withAdmin } from './support/database';
import { type PlanReport, explain, planCheck, planSummary } from './support/plans';
import { writeResults } from './support/report';
import { type LatencyStats, latencyStats } from './support/stats';

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

/** For investigating plans by hand afterwards (psql); the database is otherwise always dropped. */
const KEEP_DATABASE = process.env.BENCH_KEEP_DATABASE === '1';
const JWT_SECRET = `bench-${randomBytes(24).toString('hex')}`;
const USERS = 100;
const SIZES = [
  { label: '1k', agents: 1_000 },
  { label: '100k', agents: 100_000 },
] as const;
const PAGE_LIMIT = 20;
const GLOBAL_WARMUP_REQUESTS = 300;
const WARMUP_REQUESTS = 50;
const SEQUENTIAL_REQUESTS = 300;
const CONCURRENCY = 8;
const CONCURRENT_REQUESTS = 800;
const MEASUREMENT_TIME_LIMIT_MS = 20_000;
const TARGET_RATIO = 1.5;
const RESULTS_FILE = join(__dirname, '.results', 'agents-list.json');

// Part B (issue 3): who sees what through user, group and public grants, on top of part A's data.
/** Users in part B: part A's 100 authors plus 900 who author nothing. */
const ACL_USERS = 1_000;
const ACL_GROUPS = 100;
/** The user who sees ~1% of the agents (two small team groups, public grants, a few direct grants). */
const FEW_USER_INDEX = 999;
/** The user who sees ~90% (member of the catalogue group, which is granted agent_viewer on 89%). */
const MANY_USER_INDEX = 998;
/** The deep page: half way through the user's list, or page 50, whichever comes first. */
const DEEP_PAGE_MAX = 50;
const SQL_WARMUP_RUNS = 30;
const SQL_RUNS = 300;
/** Requests for the pages reported without a target (USE, search). */
const EXTRA_REQUESTS = 100;
const SEARCH_TERM = 'analyst';
const ACL_TARGET_RATIO = 2;

// ---------------------------------------------------------------------------------------------
// Database: seed (created, migrated and dropped through bench/support/database.ts)
// ---------------------------------------------------------------------------------------------

/**
 * Users number $1..$2 (100 for part A, then up to 1,000 for part B); emails sort in index order,
 * which fixes which agents each user authors (only the first 100 author agents).
 */
const SEED_USERS_SQL = `
  INSERT INTO users (email, name, password_hash, role, created_at, updated_at)
  SELECT format('bench-user-%s@example.com', lpad(i::text, 3, '0')),
         format('Bench User %s', i),
         'not-a-real-hash',
         'USER', -- an ADMIN would see every agent; the bench measures what an ordinary user sees
         timestamptz '2025-01-01 00:00:00+00' + i * interval '1 hour',
         timestamptz '2025-01-01 00:00:00+00' + i * interval '1 hour'
  FROM generate_series($1::int, $2::int) AS s(i)`;

/**
 * Agents number n = $1..$2; agent n belongs to user (n - 1) % 100, so every user gets the same
 * share. updated_at is spread pseudo-randomly over ~9 months (a multiplicative hash of n), except
 * that some agents copy the timestamp of an earlier agent of the same author (n - 100, n - 200) so
 * that pages contain exact ties that only the id can order. Every agent is at version 1 and gets its
 * version-1 row in agent_versions, in the same statement.
 */
const SEED_AGENTS_SQL = `
  WITH u AS (
    SELECT id, (row_number() OVER (ORDER BY email) - 1)::int AS idx FROM users
  ),
  src AS (
    SELECT g.n,
           u.id AS author,
           (ARRAY['general','hr','it','sales','aftersales','finance','rd','marketing','legal','support'])
             [1 + (g.n + g.n / 100) % 10] AS category,
           (ARRAY['openai','anthropic','google'])[1 + (g.n + g.n / 100) % 3] AS provider,
           timestamptz '2025-03-01 00:00:00+00' + (
             (CASE WHEN g.n % 97 = 0 OR g.n % 1000 = 301 THEN g.n - 100
                   WHEN g.n % 1000 = 401 THEN g.n - 200
                   ELSE g.n END)::bigint * 2654435761 % 23328000000
           ) * interval '1 millisecond' AS ts
    FROM generate_series($1::int, $2::int) AS g(n)
    JOIN u ON u.idx = (g.n - 1) % ${USERS}
  ),
  rows AS (
    SELECT
      'agent_' || substr(translate(encode(sha256(convert_to('bench-agent-' || n, 'UTF8')), 'base64'), '+/', '-_'), 1, 21)
        AS id,
      (ARRAY['Helpful','Careful','Swift','Curious','Friendly','Precise','Creative','Patient',
             'Senior','Junior','Expert','Quiet','Bold','Clever','Calm','Thorough'])[1 + (n + 3 * (n / 100)) % 16]
        || ' ' ||
      (ARRAY['Assistant','Analyst','Writer','Reviewer','Translator','Planner','Coder','Tutor',
             'Researcher','Advisor','Editor','Recruiter','Negotiator'])[1 + (n / 7 + n / 100) % 13]
        || ' ' || n AS name,
      CASE WHEN n % 11 = 0 THEN NULL
           ELSE format('Helps the %s team with %s questions; answers in plain language and cites its sources.',
                       category, (ARRAY['daily','tricky','customer','internal','legal','budget'])[1 + n % 6])
      END AS description,
      repeat(format('You are a careful assistant for the %s team. ', category), 1 + (n * 13) % 25)
        || 'Never invent facts.' AS instructions,
      provider,
      CASE provider
        WHEN 'openai' THEN (ARRAY['gpt-4o','gpt-4o-mini','o3-mini'])[1 + n % 3]
        WHEN 'anthropic' THEN (ARRAY['claude-3-5-sonnet','claude-3-opus','claude-3-haiku'])[1 + n % 3]
        ELSE (ARRAY['gemini-1.5-pro','gemini-2.0-flash'])[1 + n % 2]
      END AS model,
      CASE WHEN n % 4 = 0 THEN jsonb_build_object('temperature', (n % 21) / 10.0, 'max_tokens', 256 * (1 + n % 8))
           ELSE jsonb_build_object('temperature', (n % 21) / 10.0)
      END AS model_parameters,
      (ARRAY['[]', '["calculator"]', '["web_search","calculator"]', '["file_search"]',
             '["code_interpreter","file_search"]'])[1 + n % 5]::jsonb AS tools,
      CASE WHEN n % 5 IN (3, 4)
           THEN jsonb_build_object('file_search', jsonb_build_object('file_ids', jsonb_build_array('file_' || n)))
           ELSE '{}'::jsonb
      END AS tool_resources,
      author,
      CASE WHEN n % 5 = 0 THEN jsonb_build_object('filepath', '/images/agent-' || n || '.png', 'source', 'local') END
        AS avatar,
      category,
      (ARRAY['[]', '["What can you do?"]', '["What can you do?","Summarise this document"]',
             '["Hello","Draft an email","Explain this error","Plan my week"]'])[1 + n % 4]::jsonb
        AS conversation_starters,
      ts
    FROM src
  ),
  inserted AS (
    INSERT INTO agents (id, name, description, instructions, provider, model, model_parameters, tools,
                        tool_resources, author, avatar, category, conversation_starters, version,
                        created_at, updated_at)
    SELECT id, name, description, instructions, provider, model, model_parameters, tools, tool_resources,
           author, avatar, category, conversation_starters, 1, ts, ts
    FROM rows
    RETURNING *
  )
  INSERT INTO agent_versions (agent_id, version, snapshot, created_by, created_at)
  SELECT id, 1,
         jsonb_build_object('name', name, 'description', description, 'instructions', instructions,
                            'provider', provider, 'model', model, 'model_parameters', model_parameters,
                            'tools', tools, 'tool_resources', tool_resources, 'avatar', avatar,
                            'category', category, 'conversation_starters', conversation_starters),
         author, created_at
  FROM inserted`;

/**
 * When the schema has per-resource grants (acl_entries, migration 1764500000000), the creator of an
 * agent holds the owner grant, as the app and that migration's backfill give it. Only owner grants:
 * each user sees exactly their own agents, so the expected page counts stay exact.
 */
const SEED_OWNER_GRANTS_SQL = `
  INSERT INTO acl_entries (principal_type, principal_id, resource_type, resource_id, perm_bits, role_id,
                           granted_by, granted_at)
  SELECT 'user', a.author, 'agent', a.id, 31, 'agent_owner', a.author, a.created_at
  FROM agents a
  WHERE NOT EXISTS (SELECT 1 FROM acl_entries e
                    WHERE e.resource_type = 'agent' AND e.resource_id = a.id
                      AND e.principal_type = 'user' AND e.principal_id = a.author)`;

async function seedAgents(databaseUrl: string, from: number, to: number): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    if (from === 1) await client.query(SEED_USERS_SQL, [0, USERS - 1]);
    await client.query(SEED_AGENTS_SQL, [from, to]);
    const { rows } = await client.query<{ acl: string | null }>(`SELECT to_regclass('acl_entries')::text AS acl`);
    if (rows[0].acl !== null) await client.query(SEED_OWNER_GRANTS_SQL);
    // VACUUM as autovacuum would after a bulk insert (sets the visibility map, so index-only scans
    // need no heap fetches), and ANALYZE so the planner knows the new sizes.
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Walking the list through HTTP (bench/support/client.ts)
// ---------------------------------------------------------------------------------------------

interface ListPage {
  object: string;
  data: { id: string; author: string; updatedAt: string }[];
  has_more: boolean;
  after: string | null;
}

const listPath = (cursor: string | null): string =>
  `/api/agents?limit=${PAGE_LIMIT}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;

/**
 * Walks every page of the user's list and returns the cursor that fetches the last one (null when
 * the first page is the last). Checks along the way that the walk is a correct keyset walk: every
 * agent exactly once, all the user's own, newest first.
 */
async function walkToLastPage(
  client: HttpClient,
  userId: string,
  expected: number,
): Promise<{ cursor: string | null; cursors: (string | null)[]; pages: number; lastPageRows: number }> {
  const seen = new Set<string>();
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  let previous: { at: string; id: string } | null = null;
  for (let pages = 1; ; pages++) {
    cursors.push(cursor);
    const page: ListPage = await client.getJson<ListPage>(listPath(cursor));
    for (const agent of page.data) {
      if (agent.author !== userId) throw new Error(`agent ${agent.id} of another user in the list`);
      if (seen.has(agent.id)) throw new Error(`agent ${agent.id} listed twice`);
      if (previous && (agent.updatedAt > previous.at || (agent.updatedAt === previous.at && agent.id > previous.id))) {
        throw new Error(`agent ${agent.id} out of order`);
      }
      seen.add(agent.id);
      previous = { at: agent.updatedAt, id: agent.id };
    }
    if (!page.has_more || page.after === null) {
      if (seen.size !== expected) throw new Error(`walk saw ${seen.size} agents, expected ${expected}`);
      return { cursor, cursors, pages, lastPageRows: page.data.length };
    }
    cursor = page.after;
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------

async function timedGet(client: HttpClient, path: string): Promise<number> {
  const start = performance.now();
  const res = await client.get(path);
  const elapsed = performance.now() - start;
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 300)}`);
  return elapsed;
}

/** Up to `total` requests from `workers` loops, stopping early at the time limit. */
async function run(client: HttpClient, path: string, total: number, workers: number): Promise<LatencyStats> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + MEASUREMENT_TIME_LIMIT_MS;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < total && performance.now() < deadline) {
      issued++;
      latencies.push(await timedGet(client, path));
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return latencyStats(latencies, performance.now() - start);
}

interface PageMeasurement {
  path: string;
  rows: number;
  sequential: LatencyStats;
  concurrent: LatencyStats;
}

async function measure(client: HttpClient, path: string, expectedRows: number): Promise<PageMeasurement> {
  const page = await client.getJson<ListPage>(path);
  if (page.data.length !== expectedRows) {
    throw new Error(`GET ${path} returned ${page.data.length} rows, expected ${expectedRows}`);
  }
  for (let i = 0; i < WARMUP_REQUESTS; i++) await timedGet(client, path);
  const sequential = await run(client, path, SEQUENTIAL_REQUESTS, 1);
  const concurrent = await run(client, path, CONCURRENT_REQUESTS, CONCURRENCY);
  return { path, rows: expectedRows, sequential, concurrent };
}

// ---------------------------------------------------------------------------------------------
// The SQL listVisibleTo builds (its plan is read by bench/support/plans.ts)
// ---------------------------------------------------------------------------------------------

/**
 * The SQL of the list query exactly as the app builds it: during one real HTTP request, every
 * SelectQueryBuilder.getQueryAndParameters call (getMany and DatabaseService.getManyPrepared both go
 * through it) is recorded, and the one reading `agents` in (updated_at, id) order is the query
 * AgentsRepository.listVisibleTo built. Going through the route (not calling the repository) keeps
 * this independent of the repository's signature.
 */
async function captureListQuery(client: HttpClient, path: string): Promise<[string, unknown[]]> {
  const proto = SelectQueryBuilder.prototype as {
    getQueryAndParameters: (this: SelectQueryBuilder<ObjectLiteral>) => [string, unknown[]];
  };
  const original = proto.getQueryAndParameters;
  let captured: [string, unknown[]] | undefined;
  proto.getQueryAndParameters = function (this: SelectQueryBuilder<ObjectLiteral>) {
    const [sql, parameters] = original.call(this);
    if (captured === undefined && /FROM "agents"/.test(sql) && /ORDER BY "a"\."updated_at" DESC/.test(sql)) {
      captured = [sql, parameters];
    }
    return [sql, parameters];
  };
  try {
    await client.getJson<ListPage>(path);
  } finally {
    proto.getQueryAndParameters = original;
  }
  if (!captured) throw new Error(`GET ${path} ran no list query through SelectQueryBuilder`);
  return captured;
}

const PLAN_NAMES = ['first', 'middle', 'deep'] as const;
type PlanName = (typeof PLAN_NAMES)[number];

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

interface SizeResult {
  label: string;
  agents: number;
  agentsPerUser: number;
  seedMs: number;
  pagesWalked: number;
  deepCursor: string | null;
  first: PageMeasurement;
  deep: PageMeasurement;
  memory: { rssMb: number; heapUsedMb: number };
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
const fmt = (x: number, width = 9): string => x.toFixed(2).padStart(width);

function printSize(r: SizeResult): void {
  console.log(
    `\n[${r.label}] ${r.agents} agents, ${r.agentsPerUser} per user, seeded in ${(r.seedMs / 1000).toFixed(1)}s; ` +
      `walked ${r.pagesWalked} page(s) to the last one`,
  );
  for (const [name, m] of [
    ['first', r.first],
    ['deep', r.deep],
  ] as const) {
    console.log(
      `  ${name.padEnd(5)} (${m.rows} rows)  sequential: p50 ${m.sequential.p50.toFixed(2)} ms, ` +
        `p99 ${m.sequential.p99.toFixed(2)} ms, mean ${m.sequential.mean.toFixed(2)} ms, ` +
        `${m.sequential.rps} req/s (${m.sequential.requests} req) | ` +
        `c=${CONCURRENCY}: p50 ${m.concurrent.p50.toFixed(2)} ms, p99 ${m.concurrent.p99.toFixed(2)} ms, ` +
        `${m.concurrent.rps} req/s (${m.concurrent.requests} req)`,
    );
  }
  console.log(`  memory of the bench process: rss ${r.memory.rssMb} MB, heapUsed ${r.memory.heapUsedMb} MB`);
}

interface Ratios {
  page: 'first' | 'deep';
  p50: number;
  p99: number;
  mean: number;
  rps: number;
  concurrentP50: number;
  pass: boolean;
}

function ratiosOf(small: SizeResult, large: SizeResult): Ratios[] {
  const ratio = (a: number, b: number): number => Math.round((b / a) * 100) / 100;
  return (['first', 'deep'] as const).map((page) => {
    const s = small[page];
    const l = large[page];
    const p50 = ratio(s.sequential.p50, l.sequential.p50);
    return {
      page,
      p50,
      p99: ratio(s.sequential.p99, l.sequential.p99),
      mean: ratio(s.sequential.mean, l.sequential.mean),
      rps: ratio(s.concurrent.rps, l.concurrent.rps),
      concurrentP50: ratio(s.concurrent.p50, l.concurrent.p50),
      pass: p50 <= TARGET_RATIO,
    };
  });
}

function printTable(small: SizeResult, large: SizeResult, ratios: Ratios[]): void {
  console.log('\n=== GET /api/agents?limit=20 — latency in ms (sequential, keep-alive) ===');
  console.log(
    `${'size'.padEnd(6)}${'page'.padEnd(7)}${'rows'.padStart(5)}${'p50'.padStart(9)}${'p99'.padStart(9)}` +
      `${'mean'.padStart(9)}${'req/s'.padStart(9)}${`c${CONCURRENCY} p50`.padStart(9)}` +
      `${`c${CONCURRENCY} p99`.padStart(9)}${`c${CONCURRENCY} req/s`.padStart(10)}`,
  );
  for (const r of [small, large]) {
    for (const page of ['first', 'deep'] as const) {
      const m = r[page];
      console.log(
        `${r.label.padEnd(6)}${page.padEnd(7)}${String(m.rows).padStart(5)}${fmt(m.sequential.p50)}` +
          `${fmt(m.sequential.p99)}${fmt(m.sequential.mean)}${fmt(m.sequential.rps, 9)}` +
          `${fmt(m.concurrent.p50)}${fmt(m.concurrent.p99)}${fmt(m.concurrent.rps, 10)}`,
      );
    }
  }
  console.log(`\nratio ${large.label}/${small.label} (1.00 = no slower; req/s < 1.00 = lower throughput):`);
  console.log(
    `${'page'.padEnd(7)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'mean'.padStart(8)}` +
      `${`c${CONCURRENCY} p50`.padStart(9)}${`c${CONCURRENCY} req/s`.padStart(10)}   target p50 <= ${TARGET_RATIO}x`,
  );
  for (const x of ratios) {
    console.log(
      `${x.page.padEnd(7)}${fmt(x.p50, 8)}${fmt(x.p99, 8)}${fmt(x.mean, 8)}${fmt(x.concurrentP50)}${fmt(x.rps, 10)}` +
        `   ${x.pass ? 'PASS' : 'FAIL'}`,
    );
  }
}

function printPlans(label: string, plans: Record<PlanName, PlanReport>): void {
  const deep = plans.deep;
  console.log(`\n=== EXPLAIN (ANALYZE, BUFFERS) of the deep-page query at ${label} ===`);
  console.log(`-- SQL built by AgentsRepository.listVisibleTo (getQueryAndParameters of its query builder):`);
  console.log(deep.sql);
  console.log(`-- parameters: ${JSON.stringify(deep.parameters)}`);
  for (const line of deep.plan) console.log(line);
  console.log(`\n-- plan checks at ${label} (same query, other cursors):`);
  for (const name of PLAN_NAMES) console.log(`${name.padEnd(6)} ${planCheck(plans[name])}`);
}

// ---------------------------------------------------------------------------------------------
// Part B (issue 3): grants through users, groups and public at 100,000 agents
// ---------------------------------------------------------------------------------------------

const CATEGORIES = ['general', 'hr', 'it', 'sales', 'aftersales', 'finance', 'rd', 'marketing', 'legal', 'support'];

/**
 * 100 groups, named so that they sort in index order: g00 the catalogue readers, g01..g09 one
 * department per category (hr … support), g10..g99 small teams.
 */
const SEED_GROUPS_SQL = `
  INSERT INTO groups (name, description, created_by, created_at)
  SELECT CASE WHEN j = 0 THEN 'bench-g00 catalogue readers'
              WHEN j < 10 THEN format('bench-g%s dept %s', lpad(j::text, 2, '0'), ($2::text[])[1 + j])
              ELSE format('bench-g%s team', lpad(j::text, 2, '0')) END,
         'Seeded by bench/agents-list.ts',
         (SELECT id FROM users ORDER BY email LIMIT 1),
         timestamptz '2025-01-01 00:00:00+00' + j * interval '1 day'
  FROM generate_series(0, $1::int - 1) AS s(j)`;

/**
 * Every user is in two teams (~22 members each); three users in four are in one department
 * (~83 members each); one in five reads the catalogue (~200 members). The ~90% user is a catalogue
 * reader; the ~1% user is in two teams only.
 */
const SEED_MEMBERS_SQL = `
  WITH u AS (SELECT id, (row_number() OVER (ORDER BY email) - 1)::int AS i FROM users),
  g AS (SELECT id, (row_number() OVER (ORDER BY name) - 1)::int AS j FROM groups WHERE name LIKE 'bench-g%'),
  m AS (
    SELECT i, 0 AS j FROM u WHERE (i % 5 = 3 OR i = $1) AND i <> $2
    UNION SELECT i, 1 + i % 9 FROM u WHERE i % 4 <> 3 AND i <> $2
    UNION SELECT i, 10 + i % 90 FROM u
    UNION SELECT i, 10 + (i * 7 + 3) % 90 FROM u
  )
  INSERT INTO group_members (group_id, user_id, added_at)
  SELECT g.id, u.id, timestamptz '2025-02-01 00:00:00+00' FROM m JOIN u USING (i) JOIN g USING (j)`;

/**
 * Grants beyond part A's owner grants (every agent's author already holds agent_owner), chosen
 * with multiplicative hashes of the agent number n so that they spread over authors and dates:
 * - the catalogue group: agent_viewer on 89% of all agents;
 * - each department: agent_user on half of its category's agents (~5,000);
 * - 36% of agents are shared with one team each (~400 per team), a quarter of them as agent_editor;
 * - public: 0.2% of agents (100 agent_viewer, 100 agent_user);
 * - direct user grants to the 900 users who author nothing: ~2,000 agent_editor and ~5,000 agent_user.
 * The BEFORE INSERT trigger looks each agent up (and copies its updated_at): one bulk statement.
 */
const SEED_ACL_GRANTS_SQL = `
  WITH base AS (
    SELECT id, author, created_at, category, split_part(name, ' ', 3)::bigint AS n FROM agents
  ),
  a AS (
    SELECT id, author, created_at, category, n,
           (n * 2654435761 % 4294967296) / 65536 AS hc,
           (n * 2246822519 % 4294967296) / 65536 AS ht,
           (n * 3266489917 % 4294967296) / 65536 AS hd,
           (n * 668265263 % 4294967296) / 65536 AS hu
    FROM base
  ),
  u AS (SELECT id, (row_number() OVER (ORDER BY email) - 1)::int AS i FROM users),
  g AS (SELECT id, (row_number() OVER (ORDER BY name) - 1)::int AS j FROM groups WHERE name LIKE 'bench-g%'),
  grants (principal_type, principal_id, resource_id, perm_bits, role_id, granted_by, granted_at) AS (
    SELECT 'group', g.id, a.id, 1, 'agent_viewer', a.author, a.created_at
    FROM a JOIN g ON g.j = 0 WHERE a.hc % 100 < 89
    UNION ALL
    SELECT 'group', g.id, a.id, 17, 'agent_user', a.author, a.created_at
    FROM a JOIN g ON g.j BETWEEN 1 AND 9 AND a.category = ($1::text[])[1 + g.j] WHERE a.hd % 2 = 0
    UNION ALL
    SELECT 'group', g.id, a.id, CASE WHEN a.n % 4 = 0 THEN 19 ELSE 17 END,
           CASE WHEN a.n % 4 = 0 THEN 'agent_editor' ELSE 'agent_user' END, a.author, a.created_at
    FROM a JOIN g ON g.j = 10 + (a.ht / 100) % 90 WHERE a.ht % 100 < 36
    UNION ALL
    SELECT 'public', NULL::uuid, a.id, CASE WHEN a.n % 1000 = 7 THEN 1 ELSE 17 END,
           CASE WHEN a.n % 1000 = 7 THEN 'agent_viewer' ELSE 'agent_user' END, a.author, a.created_at
    FROM a WHERE a.n % 1000 IN (7, 507)
    UNION ALL
    SELECT 'user', u.id, a.id, 19, 'agent_editor', a.author, a.created_at
    FROM a JOIN u ON u.i = ${USERS} + a.hu % ${ACL_USERS - USERS} WHERE a.hd % 50 = 13
    UNION ALL
    SELECT 'user', u.id, a.id, 17, 'agent_user', a.author, a.created_at
    FROM a JOIN u ON u.i = ${USERS} + (a.hu / 7) % ${ACL_USERS - USERS} WHERE a.hd % 20 = 3
  )
  INSERT INTO acl_entries (principal_type, principal_id, resource_type, resource_id, perm_bits, role_id,
                           granted_by, granted_at)
  SELECT principal_type, principal_id, 'agent', resource_id, perm_bits, role_id, granted_by, granted_at
  FROM grants
  ON CONFLICT DO NOTHING`;

async function seedAcl(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(SEED_USERS_SQL, [USERS, ACL_USERS - 1]);
    await client.query(SEED_GROUPS_SQL, [ACL_GROUPS, CATEGORIES]);
    await client.query(SEED_MEMBERS_SQL, [MANY_USER_INDEX, FEW_USER_INDEX]);
    await client.query(SEED_ACL_GRANTS_SQL, [CATEGORIES]);
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
}

/** The grants that apply to user $1 (own, groups', public) with bit $2, as the app defines them. */
const APPLYING_GRANT_SQL = `e.resource_type = 'agent' AND (e.perm_bits & $2::int) <> 0
  AND (e.principal_type = 'public'
       OR (e.principal_type = 'user' AND e.principal_id = $1)
       OR (e.principal_type = 'group' AND e.principal_id IN (SELECT gm.group_id FROM group_members gm WHERE gm.user_id = $1)))`;

interface Visibility {
  visible: number;
  percent: number;
  /** Agents visible through each kind of grant (an agent can count in several). */
  viaUser: number;
  viaGroup: number;
  viaPublic: number;
  /** Agents on which the user holds USE. */
  usable: number;
  groups: number;
  searchMatches: number;
}

async function visibilityOf(pg: Client, userId: string, agents: number): Promise<Visibility> {
  const count = async (sql: string, params: unknown[]): Promise<number> =>
    Number((await pg.query<{ n: string }>(sql, params)).rows[0].n);
  const { rows } = await pg.query<Record<'visible' | 'via_user' | 'via_group' | 'via_public', string>>(
    `SELECT count(DISTINCT e.resource_id) AS visible,
            count(DISTINCT e.resource_id) FILTER (WHERE e.principal_type = 'user') AS via_user,
            count(DISTINCT e.resource_id) FILTER (WHERE e.principal_type = 'group') AS via_group,
            count(DISTINCT e.resource_id) FILTER (WHERE e.principal_type = 'public') AS via_public
     FROM acl_entries e WHERE ${APPLYING_GRANT_SQL}`,
    [userId, PermissionBits.VIEW],
  );
  const visible = Number(rows[0].visible);
  return {
    visible,
    percent: Math.round((visible / agents) * 10_000) / 100,
    viaUser: Number(rows[0].via_user),
    viaGroup: Number(rows[0].via_group),
    viaPublic: Number(rows[0].via_public),
    usable: await count(`SELECT count(DISTINCT e.resource_id) AS n FROM acl_entries e WHERE ${APPLYING_GRANT_SQL}`, [
      userId,
      PermissionBits.USE,
    ]),
    groups: await count(`SELECT count(*) AS n FROM group_members WHERE user_id = $1`, [userId]),
    searchMatches: await count(
      `SELECT count(*) AS n FROM agents a
       WHERE (a.name ILIKE $3 OR a.description ILIKE $3)
         AND EXISTS (SELECT 1 FROM acl_entries e WHERE e.resource_id = a.id AND ${APPLYING_GRANT_SQL})`,
      [userId, PermissionBits.VIEW, containsPattern(SEARCH_TERM)],
    ),
  };
}

/** The first `n` agents the user may see, in list order, computed independently of the app. */
async function expectedVisibleIds(pg: Client, userId: string, n: number): Promise<string[]> {
  const { rows } = await pg.query<{ id: string }>(
    `SELECT a.id FROM agents a
     WHERE EXISTS (SELECT 1 FROM acl_entries e WHERE e.resource_id = a.id AND ${APPLYING_GRANT_SQL})
     ORDER BY a.updated_at DESC, a.id DESC LIMIT $3`,
    [userId, PermissionBits.VIEW, n],
  );
  return rows.map((r) => r.id);
}

/**
 * Walks `pages` pages of the list and checks that they hold exactly `expected` (the user's first
 * agents, newest first, no duplicates). Returns the cursor of each page (null for the first).
 */
async function walkPages(client: HttpClient, pages: number, expected: string[]): Promise<(string | null)[]> {
  const cursors: (string | null)[] = [];
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 1; page <= pages; page++) {
    cursors.push(cursor);
    const body: ListPage = await client.getJson<ListPage>(listPath(cursor));
    seen.push(...body.data.map((a) => a.id));
    if (page < pages && (!body.has_more || body.after === null)) throw new Error(`the list ended at page ${page}`);
    cursor = body.after;
  }
  if (new Set(seen).size !== seen.length) throw new Error('the walk listed an agent twice');
  if (seen.length !== expected.length || seen.some((id, i) => id !== expected[i])) {
    const at = seen.findIndex((id, i) => id !== expected[i]);
    throw new Error(`the walk differs from the visible agents computed in SQL at position ${at}`);
  }
  return cursors;
}

/** Warm-up, then `requests` sequential requests. */
async function measureSequential(
  client: HttpClient,
  path: string,
  expectedRows: number,
  requests = SEQUENTIAL_REQUESTS,
): Promise<{ path: string; rows: number; sequential: LatencyStats }> {
  const page = await client.getJson<ListPage>(path);
  if (page.data.length !== expectedRows) {
    throw new Error(`GET ${path} returned ${page.data.length} rows, expected ${expectedRows}`);
  }
  for (let i = 0; i < WARMUP_REQUESTS; i++) await timedGet(client, path);
  return { path, rows: expectedRows, sequential: await run(client, path, requests, 1) };
}

/**
 * Part A's list without the grants: the author's own agents, built like listVisibleTo builds its
 * query (same columns, keyset and order), for `AgentsRepository.pageVisibleTo` (what the list route
 * calls) to be swapped with while the author-only baseline is measured through HTTP.
 */
function authorOnlyList(database: DatabaseService) {
  return (viewer: { id: string }, filter: AgentListFilter): Promise<AgentEntity[]> => {
    const qb = database.manager
      .createQueryBuilder(AgentEntity, 'a')
      .where('a.author = :author', { author: viewer.id })
      .orderBy('a.updated_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.after) {
      qb.andWhere('(a.updated_at, a.id) < (:afterAt, :afterId)', {
        afterAt: filter.after.at,
        afterId: filter.after.id,
      });
    }
    return qb.getMany();
  };
}

/** Runs each query `SQL_RUNS` times through one connection, alternating them so noise hits both alike. */
async function timeSqlPair(
  pg: Client,
  queries: [string, unknown[]][],
  expectedRows: number[],
): Promise<{ stats: LatencyStats[]; rows: number[] }> {
  const latencies = queries.map((): number[] => []);
  const rows: number[] = [];
  // Named prepared statements, as the app runs its list query (DatabaseService.getManyPrepared):
  // each side is planned once per connection, so the comparison is of executing the two queries.
  const statement = (i: number, text: string, values: unknown[]) => ({
    name: `bench_${i}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`,
    text,
    values,
  });
  for (const [i, [sql, params]] of queries.entries()) {
    rows.push((await pg.query(statement(i, sql, params))).rowCount ?? 0);
    if (rows[i] !== expectedRows[i])
      throw new Error(`query ${i} returned ${rows[i]} rows, expected ${expectedRows[i]}`);
  }
  const start = performance.now();
  for (let run = 0; run < SQL_WARMUP_RUNS + SQL_RUNS; run++) {
    for (const [i, [sql, params]] of queries.entries()) {
      const t0 = performance.now();
      await pg.query(statement(i, sql, params));
      if (run >= SQL_WARMUP_RUNS) latencies[i].push(performance.now() - t0);
    }
  }
  const wall = performance.now() - start;
  return { stats: latencies.map((l) => latencyStats(l, wall / queries.length)), rows };
}

interface AclUserResult {
  label: string;
  email: string;
  userId: string;
  visibility: Visibility;
  totalPages: number;
  deepPage: number;
  first: { path: string; rows: number; sequential: LatencyStats };
  deep: { path: string; rows: number; sequential: LatencyStats };
}

interface SqlComparison {
  user: string;
  page: string;
  acl: LatencyStats;
  authorOnly: LatencyStats;
  ratioP50: number;
  ratioP99: number;
  pass: boolean;
}

interface AclResult {
  seedMs: number;
  users: number;
  groups: number;
  grants: { principalType: string; roleId: string; count: number }[];
  comparator: { email: string; userId: string; authored: number };
  aclUsers: AclUserResult[];
  authorOnlyHttp: { page: string; path: string; rows: number; sequential: LatencyStats }[];
  partAHttp: { page: string; sequential: LatencyStats }[];
  extras: { label: string; path: string; rows: number; sequential: LatencyStats; plan: PlanReport }[];
  sql: SqlComparison[];
  plans: Record<string, PlanReport>;
  pass: boolean;
}

const pageName = (page: number): string => (page === 1 ? 'first' : `p${page}`);
const round2 = (x: number): number => Math.round(x * 100) / 100;

async function runPartB(opts: {
  databaseUrl: string;
  database: DatabaseService;
  app: NestExpressApplication;
  port: number;
  sign: (userId: string) => string;
  comparatorClient: HttpClient;
  comparator: { id: string; email: string };
  partA: SizeResult;
  cleanups: Cleanups;
}): Promise<AclResult> {
  const { databaseUrl, database, app, port, sign, comparatorClient, comparator, partA, cleanups } = opts;
  const t0 = performance.now();
  await seedAcl(databaseUrl);
  const seedMs = Math.round(performance.now() - t0);

  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  cleanups.push(() => pg.end());
  const agents = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM agents')).rows[0].n);
  const userAt = async (index: number): Promise<{ id: string; email: string }> =>
    (
      await pg.query<{ id: string; email: string }>(`SELECT id, email FROM users ORDER BY email OFFSET $1 LIMIT 1`, [
        index,
      ])
    ).rows[0];
  const few = await userAt(FEW_USER_INDEX);
  const many = await userAt(MANY_USER_INDEX);
  const grants = (
    await pg.query<{ principal_type: string; role_id: string; n: string }>(
      `SELECT principal_type, role_id, count(*) AS n FROM acl_entries GROUP BY 1, 2 ORDER BY 1, 2`,
    )
  ).rows.map((r) => ({ principalType: r.principal_type, roleId: r.role_id, count: Number(r.n) }));
  const authored = Number(
    (await pg.query<{ n: string }>('SELECT count(*) AS n FROM agents WHERE author = $1', [comparator.id])).rows[0].n,
  );
  const groupCount = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM groups')).rows[0].n);
  const userCount = Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0].n);

  // The ACL pages through HTTP, after checking the walk against SQL.
  const aclUsers: AclUserResult[] = [];
  const aclQueries: Record<string, [string, unknown[]]> = {};
  const aclClients: HttpClient[] = [];
  for (const [label, user] of [
    ['1% user', few],
    ['90% user', many],
  ] as const) {
    const visibility = await visibilityOf(pg, user.id, agents);
    const totalPages = Math.ceil(visibility.visible / PAGE_LIMIT);
    const deepPage = Math.min(DEEP_PAGE_MAX, Math.max(2, Math.ceil(totalPages / 2)));
    const client = new HttpClient(port, sign(user.id), CONCURRENCY);
    aclClients.push(client);
    cleanups.push(() => Promise.resolve(client.close()));
    const cursors = await walkPages(client, deepPage, await expectedVisibleIds(pg, user.id, deepPage * PAGE_LIMIT));
    const deepPath = listPath(cursors[deepPage - 1]);
    const first = await measureSequential(client, listPath(null), PAGE_LIMIT);
    const deep = await measureSequential(client, deepPath, PAGE_LIMIT);
    aclQueries[`${label} first`] = await captureListQuery(client, listPath(null));
    aclQueries[`${label} deep`] = await captureListQuery(client, deepPath);
    aclUsers.push({ label, email: user.email, userId: user.id, visibility, totalPages, deepPage, first, deep });
  }

  // Pages reported without a target: USE (a single bit: the grants-index path, filtering on the bit)
  // and search (EXISTS probes).
  const extras: AclResult['extras'] = [];
  const manyClient = aclClients[1];
  const fewClient = aclClients[0];
  for (const [label, client, visibility, path] of [
    [
      `90% user requiredPermission=${PermissionBits.USE} first`,
      manyClient,
      aclUsers[1].visibility,
      `${listPath(null)}&requiredPermission=${PermissionBits.USE}`,
    ],
    [
      `90% user search=${SEARCH_TERM} first`,
      manyClient,
      aclUsers[1].visibility,
      `${listPath(null)}&search=${SEARCH_TERM}`,
    ],
    [
      `1% user search=${SEARCH_TERM} first`,
      fewClient,
      aclUsers[0].visibility,
      `${listPath(null)}&search=${SEARCH_TERM}`,
    ],
  ] as const) {
    const matching = path.includes('requiredPermission') ? visibility.usable : visibility.searchMatches;
    const m = await measureSequential(client, path, Math.min(PAGE_LIMIT, matching), EXTRA_REQUESTS);
    const [sql, parameters] = await captureListQuery(client, path);
    extras.push({ label, ...m, plan: await explain(database.dataSource, sql, parameters) });
  }

  // The author-only baseline: the list route's pageVisibleTo swapped for the author's own agents
  // (all of them editable by their author, so no per-row EDIT probe), same pages.
  const repository = app.get(AgentsRepository);
  const original = repository.pageVisibleTo.bind(repository);
  const authorOnlyHttp: AclResult['authorOnlyHttp'] = [];
  const authorQueries: Record<string, [string, unknown[]]> = {};
  const authorOnly = authorOnlyList(database);
  repository.pageVisibleTo = async (viewer, filter) =>
    (await authorOnly(viewer, filter)).map((agent) => ({ agent, canEdit: true }));
  try {
    const walk = await walkToLastPage(comparatorClient, comparator.id, authored);
    const pages = [...new Set([1, ...aclUsers.map((u) => u.deepPage)])].sort((a, b) => a - b);
    for (const page of pages) {
      if (page > walk.pages) throw new Error(`the comparator has ${walk.pages} pages, page ${page} is needed`);
      const path = listPath(walk.cursors[page - 1]);
      const rows = Math.min(PAGE_LIMIT, authored - (page - 1) * PAGE_LIMIT);
      authorOnlyHttp.push({ page: pageName(page), ...(await measureSequential(comparatorClient, path, rows)) });
      authorQueries[pageName(page)] = await captureListQuery(comparatorClient, path);
    }
  } finally {
    repository.pageVisibleTo = original;
  }

  // SQL level: the app's ACL query against the author-only query at the same page number.
  const sql: SqlComparison[] = [];
  for (const u of aclUsers) {
    for (const [page, pageNo] of [
      ['first', 1],
      ['deep', u.deepPage],
    ] as const) {
      const acl = aclQueries[`${u.label} ${page}`];
      const base = authorQueries[pageName(pageNo)];
      const baseRows = Math.min(PAGE_LIMIT + 1, authored - (pageNo - 1) * PAGE_LIMIT);
      const { stats } = await timeSqlPair(pg, [acl, base], [PAGE_LIMIT + 1, baseRows]);
      const ratioP50 = round2(stats[0].p50 / stats[1].p50);
      sql.push({
        user: u.label,
        page: pageName(pageNo),
        acl: stats[0],
        authorOnly: stats[1],
        ratioP50,
        ratioP99: round2(stats[0].p99 / stats[1].p99),
        pass: ratioP50 <= ACL_TARGET_RATIO,
      });
    }
  }

  const plans: Record<string, PlanReport> = {};
  for (const u of aclUsers) {
    plans[`${u.label} ${pageName(1)} (ACL)`] = await explain(database.dataSource, ...aclQueries[`${u.label} first`]);
    plans[`${u.label} ${pageName(u.deepPage)} (ACL)`] = await explain(
      database.dataSource,
      ...aclQueries[`${u.label} deep`],
    );
  }
  for (const [page, query] of Object.entries(authorQueries)) {
    plans[`author-only ${page}`] = await explain(database.dataSource, ...query);
  }

  return {
    seedMs,
    users: userCount,
    groups: groupCount,
    grants,
    comparator: { email: comparator.email, userId: comparator.id, authored },
    aclUsers,
    authorOnlyHttp,
    partAHttp: [
      { page: 'first', sequential: partA.first.sequential },
      { page: pageName(partA.pagesWalked), sequential: partA.deep.sequential },
    ],
    extras,
    sql,
    plans,
    pass: sql.every((c) => c.pass),
  };
}

function printPartB(r: AclResult, agents: number): void {
  const line = (label: string, width: number): string => label.padEnd(width);
  console.log(
    `\n=== Part B (issue 3): ${agents} agents, ${r.users} users, ${r.groups} groups, ` +
      `${r.grants.reduce((s, g) => s + g.count, 0)} grants (seeded in ${(r.seedMs / 1000).toFixed(1)}s) ===`,
  );
  console.log('grants: ' + r.grants.map((g) => `${g.principalType}/${g.roleId} ${g.count}`).join(', '));
  console.log(
    `\n${line('user', 10)}${line('email', 28)}${'groups'.padStart(7)}${'visible'.padStart(9)}${'%'.padStart(7)}` +
      `${'via user'.padStart(10)}${'via group'.padStart(11)}${'via public'.padStart(12)}${'USE'.padStart(8)}` +
      `${'pages'.padStart(7)}${'deep'.padStart(6)}`,
  );
  for (const u of r.aclUsers) {
    const v = u.visibility;
    console.log(
      `${line(u.label, 10)}${line(u.email, 28)}${String(v.groups).padStart(7)}${String(v.visible).padStart(9)}` +
        `${v.percent.toFixed(2).padStart(7)}${String(v.viaUser).padStart(10)}${String(v.viaGroup).padStart(11)}` +
        `${String(v.viaPublic).padStart(12)}${String(v.usable).padStart(8)}${String(u.totalPages).padStart(7)}` +
        `${pageName(u.deepPage).padStart(6)}`,
    );
  }
  console.log(
    `(visible counts computed in SQL; via-columns overlap. Author-only baseline: ${r.comparator.email}, ` +
      `author of ${r.comparator.authored} agents.)`,
  );

  console.log('\n--- HTTP GET /api/agents?limit=20, latency in ms (sequential, keep-alive) ---');
  console.log(
    `${line('case', 58)}${line('page', 6)}${'rows'.padStart(5)}${'p50'.padStart(9)}${'p99'.padStart(9)}${'mean'.padStart(9)}`,
  );
  const row = (label: string, page: string, rows: number | string, s: LatencyStats): void =>
    console.log(
      `${line(label, 58)}${line(page, 6)}${String(rows).padStart(5)}${fmt(s.p50)}${fmt(s.p99)}${fmt(s.mean)}`,
    );
  for (const u of r.aclUsers) {
    row(`${u.label}, ACL list`, 'first', u.first.rows, u.first.sequential);
    row(`${u.label}, ACL list`, pageName(u.deepPage), u.deep.rows, u.deep.sequential);
  }
  for (const b of r.authorOnlyHttp)
    row(`baseline: author-only list (pageVisibleTo swapped)`, b.page, b.rows, b.sequential);
  for (const b of r.partAHttp)
    row(`part A at 100k: same author, ACL list, owner grants only`, b.page, 20, b.sequential);
  for (const e of r.extras) row(`${e.label.replace(/ first$/, '')} (no target)`, 'first', e.rows, e.sequential);
  const httpBase = r.authorOnlyHttp.find((b) => b.page === 'first');
  if (httpBase) {
    console.log(
      'HTTP ratio ACL/author-only at p50: ' +
        r.aclUsers
          .flatMap((u) => {
            const deepBase = r.authorOnlyHttp.find((b) => b.page === pageName(u.deepPage));
            return [
              `${u.label} first ${(u.first.sequential.p50 / httpBase.sequential.p50).toFixed(2)}x`,
              deepBase
                ? `${u.label} ${pageName(u.deepPage)} ${(u.deep.sequential.p50 / deepBase.sequential.p50).toFixed(2)}x`
                : '',
            ];
          })
          .filter(Boolean)
          .join(', ') +
        ' (reported; the target is at SQL level)',
    );
  }

  console.log(
    `\n--- SQL: the app's ACL query vs the author-only query, one pg connection, ${SQL_RUNS} runs each ` +
      `(alternating, after ${SQL_WARMUP_RUNS} warm-up), ms ---`,
  );
  console.log(
    `${line('user', 10)}${line('page', 6)}${'ACL p50'.padStart(9)}${'ACL p99'.padStart(9)}${'auth p50'.padStart(9)}` +
      `${'auth p99'.padStart(9)}${'x p50'.padStart(8)}${'x p99'.padStart(8)}   target p50 <= ${ACL_TARGET_RATIO}x`,
  );
  for (const c of r.sql) {
    console.log(
      `${line(c.user, 10)}${line(c.page, 6)}${fmt(c.acl.p50)}${fmt(c.acl.p99)}${fmt(c.authorOnly.p50)}` +
        `${fmt(c.authorOnly.p99)}${fmt(c.ratioP50, 8)}${fmt(c.ratioP99, 8)}   ${c.pass ? 'PASS' : 'FAIL'}`,
    );
  }

  for (const u of r.aclUsers) {
    const key = `${u.label} ${pageName(u.deepPage)} (ACL)`;
    const plan = r.plans[key];
    console.log(`\n=== EXPLAIN (ANALYZE, BUFFERS): ${key} ===`);
    console.log(`-- parameters: ${JSON.stringify(plan.parameters)}`);
    for (const l of plan.plan) console.log(l);
  }
  console.log('\n-- plan summaries:');
  for (const [key, plan] of Object.entries(r.plans)) console.log(`${line(key, 24)} ${planSummary(plan)}`);
  for (const e of r.extras) console.log(`${line(e.label, 24)} ${planSummary(e.plan)}`);
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const dbName = `agents_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = urlFor(dbName);
  const cleanups = new Cleanups();
  const removeInterrupt = onInterrupt(() => cleanups.run());

  try {
    console.log(`database ${dbName} on ${new URL(ADMIN_URL).host}; node ${process.version}`);
    await createDatabase(dbName);
    await migrateDatabase(dbName);
    if (KEEP_DATABASE) console.log(`BENCH_KEEP_DATABASE is set: ${databaseUrl} is left in place at the end`);
    else cleanups.push(() => dropDatabase(dbName));
    const pgVersion = await withAdmin(async (c) => (await c.query<{ v: string }>('SHOW server_version')).rows[0].v);

    let seeded = 0;
    let seedMs = performance.now();
    await seedAgents(databaseUrl, 1, SIZES[0].agents);
    seeded = SIZES[0].agents;
    seedMs = performance.now() - seedMs;

    const config = loadConfig({ DATABASE_URL: databaseUrl, JWT_SECRET, LOG_LEVEL: 'silent' });
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false });
    configureApp(app, config);
    await app.listen(0, '127.0.0.1');
    cleanups.push(() => app.close());
    const database = app.get(DatabaseService);
    await database.whenReady();
    const port = (app.getHttpServer().address() as AddressInfo).port;

    const [user] = await database.dataSource.query<{ id: string; email: string }[]>(
      `SELECT id, email FROM users ORDER BY email LIMIT 1`,
    );
    const jwt = new JwtService({ secret: JWT_SECRET });
    const sign = (userId: string): string => jwt.sign({ sub: userId }, { expiresIn: '1h' });
    const token = sign(user.id);
    const client = new HttpClient(port, token, CONCURRENCY);
    cleanups.push(() => Promise.resolve(client.close()));
    console.log(`api on 127.0.0.1:${port}; querying as ${user.email} (${user.id})`);
    // Let V8 optimise the request path before anything is measured, so the first size is not penalised.
    for (let i = 0; i < GLOBAL_WARMUP_REQUESTS; i++) await timedGet(client, listPath(null));
    const booted = process.memoryUsage();
    const afterBoot = { rssMb: mb(booted.rss), heapUsedMb: mb(booted.heapUsed) };
    console.log(
      `memory of the bench process after boot and warm-up: rss ${afterBoot.rssMb} MB, heapUsed ${afterBoot.heapUsedMb} MB ` +
        `(includes ts-node's TypeScript compiler)`,
    );

    const results: SizeResult[] = [];
    let plans: Record<PlanName, PlanReport> | undefined;
    for (const size of SIZES) {
      if (size.agents > seeded) {
        const t0 = performance.now();
        await seedAgents(databaseUrl, seeded + 1, size.agents);
        seedMs = performance.now() - t0;
        seeded = size.agents;
      }
      const agentsPerUser = size.agents / USERS;
      const walk = await walkToLastPage(client, user.id, agentsPerUser);
      const first = await measure(client, listPath(null), Math.min(PAGE_LIMIT, agentsPerUser));
      const deep = await measure(client, listPath(walk.cursor), walk.lastPageRows);
      global.gc?.();
      const memory = process.memoryUsage();
      const result: SizeResult = {
        label: size.label,
        agents: size.agents,
        agentsPerUser,
        seedMs: Math.round(seedMs),
        pagesWalked: walk.pages,
        deepCursor: walk.cursor,
        first,
        deep,
        memory: { rssMb: mb(memory.rss), heapUsedMb: mb(memory.heapUsed) },
      };
      results.push(result);
      printSize(result);
      if (size === SIZES[SIZES.length - 1]) {
        const cursors: Record<PlanName, string | null> = {
          first: null,
          middle: walk.cursors[Math.floor(walk.cursors.length / 2)],
          deep: walk.cursor,
        };
        const explained = {} as Record<PlanName, PlanReport>;
        for (const name of PLAN_NAMES) {
          const [sql, parameters] = await captureListQuery(client, listPath(cursors[name]));
          explained[name] = await explain(database.dataSource, sql, parameters);
        }
        plans = explained;
      }
    }

    const [small, large] = results;
    const ratios = ratiosOf(small, large);
    const acl = await runPartB({
      databaseUrl,
      database,
      app,
      port,
      sign,
      comparatorClient: client,
      comparator: user,
      partA: large,
      cleanups,
    });

    console.log('\n##### Part A: the same page at 1,000 and 100,000 agents (owner grants only) #####');
    printTable(small, large, ratios);
    if (plans) printPlans(large.label, plans);
    const passA = ratios.every((r) => r.pass);
    console.log(
      `\n${passA ? 'PASS' : 'FAIL'}: the ${large.label} page costs ` +
        ratios.map((r) => `${r.p50.toFixed(2)}x (${r.page})`).join(', ') +
        ` the ${small.label} page at p50; target <= ${TARGET_RATIO}x`,
    );
    if (small.deep.rows !== large.deep.rows) {
      console.log(
        `note: the deep page has ${small.deep.rows} rows at ${small.label} (the user's only page) and ` +
          `${large.deep.rows} rows at ${large.label} (page ${large.pagesWalked}), so its ratio includes serialising more rows`,
      );
    }

    console.log('\n##### Part B: users who see ~1% and ~90% through user, group and public grants #####');
    printPartB(acl, large.agents);
    console.log(
      `\n${acl.pass ? 'PASS' : 'FAIL'}: the ACL query costs ` +
        acl.sql.map((c) => `${c.ratioP50.toFixed(2)}x (${c.user} ${c.page})`).join(', ') +
        ` the author-only query at p50 (SQL level); target <= ${ACL_TARGET_RATIO}x`,
    );
    const pass = passA && acl.pass;
    console.log(
      `\noverall: ${pass ? 'PASS' : 'FAIL'} (part A ${passA ? 'PASS' : 'FAIL'}, part B ${acl.pass ? 'PASS' : 'FAIL'})`,
    );

    writeResults(
      RESULTS_FILE,
      {
        generatedAt: new Date().toISOString(),
        node: process.version,
        postgres: pgVersion,
        parameters: {
          users: USERS,
          pageLimit: PAGE_LIMIT,
          warmupRequests: WARMUP_REQUESTS,
          sequentialRequests: SEQUENTIAL_REQUESTS,
          concurrency: CONCURRENCY,
          concurrentRequests: CONCURRENT_REQUESTS,
          measurementTimeLimitMs: MEASUREMENT_TIME_LIMIT_MS,
        },
        memoryAfterBoot: afterBoot,
        sizes: results,
        ratios,
        target: { metric: 'sequential p50 ratio', max: TARGET_RATIO },
        passA,
        plans,
        acl: {
          parameters: {
            users: ACL_USERS,
            groups: ACL_GROUPS,
            fewUserIndex: FEW_USER_INDEX,
            manyUserIndex: MANY_USER_INDEX,
            deepPageMax: DEEP_PAGE_MAX,
            sqlWarmupRuns: SQL_WARMUP_RUNS,
            sqlRuns: SQL_RUNS,
            extraRequests: EXTRA_REQUESTS,
            search: SEARCH_TERM,
          },
          target: { metric: 'SQL p50 ratio ACL / author-only', max: ACL_TARGET_RATIO },
          ...acl,
        },
        pass,
        totalSeconds: Math.round((performance.now() - started) / 100) / 10,
      },
      started,
    );
    if (!pass) process.exitCode = 1;
  } finally {
    await cleanups.run();
    removeInterrupt();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
