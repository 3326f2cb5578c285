import type { EntityManager } from 'typeorm';
import { retryingReads } from './retrying-reads';

/** A terminated backend, as pg reports it. */
const terminated = (): Error =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe('retryingReads', () => {
  function manager(failures: number) {
    const calls: string[] = [];
    let left = failures;
    const fail = <T>(name: string, value: T) => {
      calls.push(name);
      if (left-- > 0) return Promise.reject(terminated());
      return Promise.resolve(value);
    };
    const target = {
      findOneBy: (_entity: unknown, where: unknown) => fail('findOneBy', where),
      insert: () => fail('insert', 'inserted'),
      query: (sql: string) => fail(`query ${sql}`, [{ ok: 1 }]),
      transaction: <T>(work: (m: unknown) => Promise<T>) => work(target),
      name: 'the manager',
    };
    return { calls, proxied: retryingReads(target as unknown as EntityManager) };
  }

  it('runs a read again when its connection was lost', async () => {
    const { calls, proxied } = manager(2);
    await expect(proxied.findOneBy(Object, {})).resolves.toEqual({});
    expect(calls).toEqual(['findOneBy', 'findOneBy', 'findOneBy']);
  });

  it('runs a read-only statement again, never one that writes or locks', async () => {
    const reads = manager(1);
    await expect(reads.proxied.query('WITH t AS (SELECT 1) SELECT * FROM t')).resolves.toEqual([{ ok: 1 }]);
    expect(reads.calls).toHaveLength(2);
    for (const sql of [
      'UPDATE agents SET name = $1',
      'SELECT * FROM users FOR UPDATE',
      'WITH d AS (DELETE FROM x) SELECT 1',
    ]) {
      const writes = manager(1);
      await expect(writes.proxied.query(sql)).rejects.toThrow(/terminating/);
      expect(writes.calls).toEqual([`query ${sql}`]);
    }
  });

  it('leaves writes and other members as they are', async () => {
    const { calls, proxied } = manager(1);
    await expect(proxied.insert(Object, {})).rejects.toThrow(/terminating/);
    expect(calls).toEqual(['insert']);
    expect((proxied as unknown as { name: string }).name).toBe('the manager');
    await expect(proxied.transaction(() => Promise.resolve('done'))).resolves.toBe('done');
  });
});
