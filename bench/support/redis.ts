import Redis from 'ioredis';

/** Without a db number: the bench picks an empty database number of this server and flushes it at the end. */
const REDIS_SERVER_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A Redis database number that holds no key, from 15 down to 13: the bench's queue, streams and
 * state are then its own. 8–12 are the test suites' (test/support/redis.ts), which must not share
 * the `generation` queue with anyone.
 */
export async function emptyRedisDb(): Promise<{ url: string; flush: () => Promise<void> }> {
  for (let db = 15; db >= 13; db--) {
    const url = `${REDIS_SERVER_URL.replace(/\/\d*$/, '')}/${db}`;
    const redis = new Redis(url, { lazyConnect: true });
    await redis.connect();
    try {
      if ((await redis.dbsize()) === 0) {
        return {
          url,
          flush: async () => {
            const r = new Redis(url);
            try {
              await r.flushdb();
            } finally {
              r.disconnect();
            }
          },
        };
      }
    } finally {
      redis.disconnect();
    }
  }
  throw new Error('no empty Redis database among 13, 14 and 15');
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
