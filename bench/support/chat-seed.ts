/**
 * Seeds a bench database with users, conversations and threaded messages of generated text
 * (bench/support/chat-text.ts), in set-based SQL. Messages are inserted in time order across all
 * users, as a live service writes them, so one user's messages are spread over the whole table.
 */
import type { DataSource } from 'typeorm';
import { BENCH_WORDS_FUNCTION_SQL } from './chat-text';

export interface SeedPlan {
  /** Messages of each measured user, in order: they are users 0, 1, 2… */
  measured: number[];
  /** Users besides the measured ones, sharing the rest of the messages. */
  others: number;
  total: number;
  messagesPerConversation: number;
}

export interface SeededUser {
  id: string;
  email: string;
  messages: number;
}

/**
 * Messages of the conversations numbered $1 ≤ n < $2, in time order; a user's message has 5–30
 * words, an answer 20–160, each a reply to the one before.
 */
const MESSAGES_BATCH_SQL = `
  INSERT INTO messages (id, conversation_id, parent_message_id, user_id, sender, is_created_by_user, text,
    content, unfinished, error, created_at)
  SELECT id, conversation_id, lag(id) OVER (PARTITION BY conversation_id ORDER BY seq), user_id,
         CASE WHEN seq % 2 = 0 THEN 'User' ELSE 'Bench Agent' END, seq % 2 = 0, text,
         jsonb_build_array(jsonb_build_object('type', 'text', 'text', text)), false, false, at
  FROM (
    SELECT gen_random_uuid() AS id, c.id AS conversation_id, c.user_id, s.seq,
           c.created_at + s.seq * interval '30 seconds' AS at,
           bench_words(CASE WHEN s.seq % 2 = 0 THEN 5 + floor(random() * 26)::int ELSE 20 + floor(random() * 141)::int END) AS text
    FROM bench_conversations c
    CROSS JOIN LATERAL generate_series(0, c.len - 1) AS s(seq)
    WHERE c.n >= $1 AND c.n < $2
  ) m
  ORDER BY at`;

/** Indexes on these tables are dropped while seeding and rebuilt from their own definitions after. */
const REINDEXED_TABLES = ['messages', 'conversations'];

export async function seedChat(
  ds: DataSource,
  plan: SeedPlan,
  log: (line: string) => void,
): Promise<{ measured: SeededUser[]; indexes: string[] }> {
  await ds.query(BENCH_WORDS_FUNCTION_SQL);
  const users = plan.measured.length + plan.others;
  await ds.query(
    `INSERT INTO users (email, name, password_hash, role, created_at, updated_at)
     SELECT format('bench-search-%s@example.com', lpad(i::text, 5, '0')), format('Search User %s', i),
            'not-a-real-hash', 'USER', now(), now()
     FROM generate_series(0, $1 - 1) AS i`,
    [users],
  );
  // Each user's message count: the measured users' as planned, the others share the rest evenly.
  const rest = plan.total - plan.measured.reduce((a, b) => a + b, 0);
  await ds.query(`CREATE TABLE bench_user_messages AS
    SELECT u.id AS user_id, u.idx,
           CASE WHEN u.idx < ${plan.measured.length} THEN (ARRAY[${plan.measured.join(',')}]::int[])[u.idx + 1]
                ELSE ${Math.floor(rest / plan.others)} + CASE WHEN u.idx - ${plan.measured.length} < ${rest % plan.others} THEN 1 ELSE 0 END
           END AS messages
    FROM (SELECT id, (row_number() OVER (ORDER BY email) - 1)::int AS idx FROM users) u`);

  // The indexes are built once after the data rather than updated row by row.
  const indexes = await ds.query<{ name: string; def: string }[]>(
    `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
       WHERE i.schemaname = 'public' AND i.tablename = ANY($1)
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    [REINDEXED_TABLES],
  );
  for (const index of indexes) await ds.query(`DROP INDEX ${index.name}`);

  // Conversations: each user's messages in threads of `messagesPerConversation`, started at random
  // over a year; titles of 2–6 words.
  await ds.query(
    `INSERT INTO conversations (id, user_id, agent_id, title, created_at, updated_at)
     SELECT gen_random_uuid(), b.user_id, 'agent_bench_search_000000', left(bench_words(2 + floor(random() * 5)::int), 256),
            s.start, s.start + (least($1, b.messages - c * $1) - 1) * interval '30 seconds'
     FROM bench_user_messages b
     CROSS JOIN LATERAL generate_series(0, ceil(b.messages::numeric / $1)::int - 1) AS c
     CROSS JOIN LATERAL (SELECT now() - interval '365 days' + random() * interval '364 days' + c * interval '0 s' AS start) s`,
    [plan.messagesPerConversation],
  );
  const [{ conversations }] = await ds.query<{ conversations: string }[]>(
    'SELECT count(*) AS conversations FROM conversations',
  );
  log(`  ${users} users, ${conversations} conversations`);

  // Messages, in batches of conversations.
  await ds.query(`CREATE TABLE bench_conversations AS
    SELECT id, user_id, created_at, (row_number() OVER (ORDER BY created_at, id) - 1)::int AS n,
           ((extract(epoch FROM updated_at - created_at) / 30)::int + 1) AS len
    FROM conversations`);
  const batches = 40;
  const per = Math.ceil(Number(conversations) / batches);
  let next = 0;
  let done = 0;
  // Two connections at once (the bench machine has two cores); no statement timeout while seeding.
  const worker = async (): Promise<void> => {
    const runner = ds.createQueryRunner();
    try {
      await runner.query('SET statement_timeout = 0');
      for (let b = next++; b < batches; b = next++) {
        await runner.query(MESSAGES_BATCH_SQL, [b * per, (b + 1) * per]);
        done += 1;
        if (done % 4 === 0) log(`  messages: ${done}/${batches} batches`);
      }
    } finally {
      await runner.release();
    }
  };
  await Promise.all([worker(), worker()]);
  await ds.query('DROP TABLE bench_conversations');

  const started = Date.now();
  const runner = ds.createQueryRunner();
  try {
    await runner.query('SET statement_timeout = 0');
    await runner.query(`SET maintenance_work_mem = '512MB'`);
    for (const index of indexes) await runner.query(index.def);
    await runner.query('VACUUM (ANALYZE) messages');
    await runner.query('VACUUM (ANALYZE) conversations');
  } finally {
    await runner.release();
  }
  log(`  ${indexes.length} indexes rebuilt in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  const measured = await ds.query<SeededUser[]>(
    `SELECT u.id, u.email, b.messages FROM bench_user_messages b JOIN users u ON u.id = b.user_id
     WHERE b.idx < $1 ORDER BY b.idx`,
    [plan.measured.length],
  );
  await ds.query('DROP TABLE bench_user_messages');
  return { measured, indexes: indexes.map((i) => i.def) };
}
