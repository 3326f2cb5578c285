import { Client } from 'pg';

/**
 * Runs `work` while `lock` (a LOCK TABLE statement) is held in another session of the database at
 * `databaseUrl`. The first statement that waits on the lock has its backend terminated, as
 * pg_terminate_backend, a failover or a pooler restart would; then the lock is released. The
 * lock makes the termination land exactly on that statement. Resolves what `work` resolved and
 * how many backends were terminated.
 */
export async function terminateLockWaiter<T>(
  databaseUrl: string,
  lock: string,
  work: () => Promise<T>,
): Promise<{ result: T; terminated: number }> {
  const locker = new Client({ connectionString: databaseUrl });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(lock);
    const running = work();
    running.catch(() => undefined); // awaited below, after the lock is released
    const deadline = Date.now() + 10_000;
    let terminated = 0;
    while (terminated === 0 && Date.now() < deadline) {
      // Inside a transaction PostgreSQL keeps its first reading of pg_stat_activity: read afresh.
      await locker.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await locker.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      for (const { pid } of rows) {
        await locker.query('SELECT pg_terminate_backend($1)', [pid]);
        terminated++;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await locker.query('COMMIT');
    return { result: await running, terminated };
  } finally {
    await locker.end();
  }
}
