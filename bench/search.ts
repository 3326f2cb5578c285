/**
 * Benchmark of full-text search over a user's own messages (docs/http-api.md § Search) at
 * 1,000,000 messages of 1,000 users: `GET /api/messages?search=` through the real api app, booted
 * in-process on a fresh database, for users with 1,000, 5,000 and 10,000 messages of their own,
 * with common, medium and rare words, a phrase, an `or` and an exclusion. Baselines measured in the
 * same run, at SQL level: the same user's messages searched with ILIKE (every message of the user
 * read and matched, no full-text index), and the service's own query with index scans turned off
 * (a Seq Scan of every user's messages). Target: p50 ≤ 50 ms for every search,
 * printed as PASS/MISS, with the EXPLAIN (ANALYZE, BUFFERS) summary showing the index used.
 *
 * The text is generated (bench/support/chat-text.ts): words with Zipf-like frequencies from a
 * 30,000-word vocabulary. See bench/README.md. Run with `npm run bench:search`.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DataSource } from 'typeorm';
import { messageSearchSql } from '@agents/chat';
import { DatabaseService, containsPattern, loadConfig } from '@agents/core';
import { AppModule } from '../apps/api/src/app.module';
import { configureApp } from '../apps/api/src/configure-app';
import { type SeededUser, seedChat } from './support/chat-seed';
import { VOCABULARY_SIZE, wordOfRank } from './support/chat-text';
import { Cleanups, onInterrupt } from './support/cleanup';
import { HttpClient } from './support/client';
import { ADMIN_URL, createDatabase, dropDatabase, migrateDatabase, urlFor, withAdmin } from './support/database';
import { explain, planSummary, type PlanReport } from './support/plans';
import { ms, writeResults } from './support/report';
import { type Stats, stats } from './support/stats';

const KEEP_DATABASE = process.env.BENCH_KEEP_DATABASE === '1';
const MESSAGES = Number(process.env.BENCH_SEARCH_MESSAGES ?? 1_000_000);
/** The measured users' own messages; 997 other users share the rest. */
const MEASURED = [1_000, 5_000, 10_000];
const OTHER_USERS = 997;
const MESSAGES_PER_CONVERSATION = 20;
const JWT_SECRET = `bench-${randomBytes(24).toString('hex')}`;
const PAGE = 20;
const WARMUP = 20;
const RUNS = 200;
const BASELINE_RUNS = 10;
const TARGET_P50_MS = 50;
const RESULTS_FILE = join(__dirname, '.results', 'search.json');

/** A made-up word far down the tail: a handful of messages among a million hold it. */
const RARE = wordOfRank(20_011);
const SEARCHES: { label: string; search: string; ilike: string }[] = [
  { label: 'common word', search: 'data', ilike: 'data' },
  { label: 'medium word', search: 'invoice', ilike: 'invoice' },
  { label: 'rare word', search: RARE, ilike: RARE },
  { label: 'phrase', search: '"team project"', ilike: 'team project' },
  { label: 'or', search: `invoice or ${RARE}`, ilike: 'invoice' },
  { label: 'exclusion', search: 'data -team', ilike: 'data' },
];

interface Measured {
  user: number;
  label: string;
  search: string;
  matches: number;
  http: Stats;
  pass: boolean;
}

async function time(run: () => Promise<unknown>, runs: number, warmup = WARMUP): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return stats(samples);
}

const path = (route: string, search: string, cursor?: string): string =>
  `/api/${route}?limit=${PAGE}&search=${encodeURIComponent(search)}${cursor ? `&cursor=${cursor}` : ''}`;

/**
 * The same user's messages containing the word, newest first, found with ILIKE: what search costs
 * without a full-text index (every message of the user is read and matched).
 */
const ILIKE_SQL = `SELECT id, created_at FROM messages WHERE user_id = $1 AND text ILIKE $2
  ORDER BY created_at DESC, id DESC LIMIT ${PAGE + 1}`;

/** The service's query with index scans off (in a transaction, so the setting ends with it). */
async function withoutIndexes(ds: DataSource, userId: string, search: string): Promise<void> {
  await ds.transaction(async (m) => {
    await m.query('SET LOCAL enable_bitmapscan = off');
    await m.query('SET LOCAL enable_indexscan = off');
    await m.query(messageSearchSql(false), [userId, search, PAGE + 1]);
  });
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const cleanups = new Cleanups();
  const removeInterrupt = onInterrupt(() => cleanups.run());
  try {
    const name = `bench_search_${randomBytes(4).toString('hex')}`;
    console.log(`database ${name} on ${new URL(ADMIN_URL).host}; node ${process.version}`);
    await createDatabase(name);
    if (KEEP_DATABASE) console.log(`BENCH_KEEP_DATABASE is set: ${urlFor(name)} is left in place at the end`);
    else cleanups.push(() => dropDatabase(name));
    await migrateDatabase(name);
    const pgVersion = await withAdmin(
      async (c) => (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v,
    );

    const config = loadConfig({ DATABASE_URL: urlFor(name), JWT_SECRET, LOG_LEVEL: 'silent' });
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false });
    configureApp(app, config);
    await app.listen(0, '127.0.0.1');
    cleanups.push(() => app.close());
    const database = app.get(DatabaseService);
    await database.whenReady();
    const ds = database.dataSource;

    console.log(
      `seeding ${MESSAGES} messages (${MEASURED.join(', ')} for the measured users, ${OTHER_USERS} others share the rest; ` +
        `${VOCABULARY_SIZE}-word Zipf vocabulary)…`,
    );
    const seedStart = performance.now();
    const seeded = await seedChat(
      ds,
      { measured: MEASURED, others: OTHER_USERS, total: MESSAGES, messagesPerConversation: MESSAGES_PER_CONVERSATION },
      (line) => console.log(line),
    );
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const [size] = await ds.query<{ table: string; index: string }[]>(
      `SELECT pg_size_pretty(pg_table_size('messages')) AS table, pg_size_pretty(pg_relation_size('messages_user_tsv_idx')) AS index`,
    );
    console.log(
      `seeded in ${seedSeconds.toFixed(0)} s; messages ${size.table}, messages_user_tsv_idx ${size.index}; PostgreSQL ${pgVersion}`,
    );

    const port = (app.getHttpServer() as { address(): AddressInfo }).address().port;
    const jwt = new JwtService({ secret: JWT_SECRET });
    const clients = seeded.measured.map((u) => new HttpClient(port, jwt.sign({ sub: u.id }, { expiresIn: '2h' }), 1));
    cleanups.push(() => Promise.resolve(clients.forEach((c) => c.close())));
    // The seed's writes reach the disk before anything is measured (they would otherwise be flushed
    // during the first measurements), and V8 optimises the request path on every search once.
    await ds.query('CHECKPOINT');
    for (let round = 0; round < 5; round++) {
      for (const client of clients) for (const s of SEARCHES) await client.getJson(path('messages', s.search));
    }

    const count = async (user: SeededUser, search: string): Promise<number> => {
      const [row] = await ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM messages WHERE user_id = $1 AND tsv @@ websearch_to_tsquery('english', $2)`,
        [user.id, search],
      );
      return row.n;
    };

    const measured: Measured[] = [];
    console.log(
      `\nGET /api/messages?search= (limit ${PAGE}, ${RUNS} sequential requests after ${WARMUP})\n` +
        `user msgs  search                           matches   p50 ms   p99 ms  target p50 <= ${TARGET_P50_MS} ms`,
    );
    for (const [i, user] of seeded.measured.entries()) {
      for (const s of SEARCHES) {
        const http = await time(() => clients[i].getJson(path('messages', s.search)), RUNS);
        const matches = await count(user, s.search);
        const pass = http.p50 <= TARGET_P50_MS;
        measured.push({ user: user.messages, label: s.label, search: s.search, matches, http, pass });
        console.log(
          `${String(user.messages).padStart(9)}  ${`${s.label}: ${s.search}`.padEnd(30)} ${String(matches).padStart(9)} ` +
            `${ms(http.p50)} ${ms(http.p99)}  ${pass ? 'PASS' : 'MISS'}`,
        );
      }
    }

    // The largest user: the second page, the conversation search, and the baselines.
    const big = seeded.measured[seeded.measured.length - 1];
    const bigClient = clients[clients.length - 1];
    const first = await bigClient.getJson<{ after: string }>(path('messages', 'data'));
    const secondPage = await time(() => bigClient.getJson(path('messages', 'data', first.after)), RUNS);
    console.log(
      `\n${big.messages}-message user, second page of "data": p50 ${ms(secondPage.p50)} p99 ${ms(secondPage.p99)}`,
    );
    const convos: Record<string, Stats> = {};
    for (const s of [SEARCHES[0], SEARCHES[2]]) {
      convos[s.label] = await time(() => bigClient.getJson(path('convos', s.search)), RUNS);
      console.log(
        `GET /api/convos?search=${s.search} (${s.label}): p50 ${ms(convos[s.label].p50)} p99 ${ms(convos[s.label].p99)}`,
      );
    }

    console.log(
      `\nbaselines, ${big.messages}-message user, SQL level (${BASELINE_RUNS} runs): service query | ILIKE | service query, index scans off`,
    );
    const baselines: Record<string, { service: Stats; ilike: Stats; noIndex: Stats }> = {};
    for (const s of [SEARCHES[0], SEARCHES[2]]) {
      const service = await time(() => ds.query(messageSearchSql(false), [big.id, s.search, PAGE + 1]), RUNS);
      const ilike = await time(() => ds.query(ILIKE_SQL, [big.id, containsPattern(s.ilike)]), BASELINE_RUNS, 2);
      const noIndex = await time(() => withoutIndexes(ds, big.id, s.search), BASELINE_RUNS, 2);
      baselines[s.label] = { service, ilike, noIndex };
      console.log(
        `${s.label.padEnd(12)} p50 ${ms(service.p50)} | ${ms(ilike.p50)} | ${ms(noIndex.p50)}   ` +
          `p99 ${ms(service.p99)} | ${ms(ilike.p99)} | ${ms(noIndex.p99)}`,
      );
    }

    const ilikePlan = await explain(ds, ILIKE_SQL, [big.id, containsPattern('data')]);
    console.log(`ILIKE baseline's plan: ${planSummary(ilikePlan)}`);

    console.log(`\nEXPLAIN (ANALYZE, BUFFERS), ${big.messages}-message user:`);
    const plans: Record<string, PlanReport> = {};
    for (const s of SEARCHES) {
      plans[s.label] = await explain(ds, messageSearchSql(false), [big.id, s.search, PAGE + 1]);
      console.log(`${s.label.padEnd(12)} ${planSummary(plans[s.label])}`);
    }
    console.log(`\n${plans['common word'].plan.join('\n')}`);
    const indexUsed = Object.values(plans).every(
      (p) => p.indexes.includes('messages_user_tsv_idx') && !p.seqScans.some((s) => s.startsWith('messages')),
    );

    const pass = measured.every((m) => m.pass) && indexUsed;
    console.log(
      `\n${pass ? 'PASS' : 'MISS'}: every search's p50 <= ${TARGET_P50_MS} ms at ${MESSAGES} messages` +
        `${indexUsed ? '; every plan reads messages_user_tsv_idx, no Seq Scan on messages' : '; a plan did NOT use messages_user_tsv_idx'}`,
    );
    writeResults(
      RESULTS_FILE,
      {
        messages: MESSAGES,
        pgVersion,
        seedSeconds,
        size,
        measured,
        secondPage,
        convos,
        baselines,
        plans: Object.fromEntries(Object.entries(plans).map(([k, p]) => [k, planSummary(p)])),
        ilikePlan: planSummary(ilikePlan),
        pass,
      },
      startedAt,
    );
    if (!pass) process.exitCode = 1;
  } finally {
    removeInterrupt();
    await cleanups.run();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
