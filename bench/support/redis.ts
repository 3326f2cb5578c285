import Redis from 'ioredis';

/** Without a db number: the bench picks an empty database number of this server and flushes it at the end. */
const REDIS_SERVER_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A Redis database number that holds no key, from 15 down to 13: the bench's queue, streams and
 * state are then its own. 8–12 are the test suites' (test/support/redis.ts), which must not share
 * the `generation` queue with anyone. When none is empty, one that no client is connected to (the
 * leftovers of a run that was killed before it could flush) is flushed and taken, saying so.
 */
export async function emptyRedisDb(): Promise<{ url: string; flush: () => Promise<void> }> {
  const server = REDIS_SERVER_URL.replace(/\/\d*$/, '');
  const urlOf = (db: number): string => `${server}/${db}`;
  const flushOf = (url: string) => async (): Promise<void> => {
    const r = new Redis(url);
    try {
      await r.flushdb();
    } finally {
      r.disconnect();
    }
  };
  const admin = new Redis(urlOf(0), { lazyConnect: true });
  await admin.connect();
  try {
    const sizes = new Map<number, number>();
    for (let db = 15; db >= 13; db--) {
      await admin.select(db);
      sizes.set(db, await admin.dbsize());
      if (sizes.get(db) === 0) return { url: urlOf(db), flush: flushOf(urlOf(db)) };
    }
    // CLIENT LIST names each connection's database (this one's back on 0).
    await admin.select(0);
    const clients = String(await admin.client('LIST'));
    const inUse = new Set([...clients.matchAll(/ db=(\d+) /g)].map((m) => Number(m[1])));
    for (let db = 15; db >= 13; db--) {
      if (inUse.has(db)) continue;
      const url = urlOf(db);
      await flushOf(url)();
      console.log(`redis ${url}: no client connected, flushed ${sizes.get(db)} keys left by an interrupted run`);
      return { url, flush: flushOf(url) };
    }
  } finally {
    admin.disconnect();
  }
  throw new Error('no empty or abandoned Redis database among 13, 14 and 15');
}

export async function redisPid(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    const info = await redis.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]);
  } finally {
    redis.disconnect();
  }
}
