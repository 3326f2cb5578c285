import { Janitor } from './janitor';

class CountingJanitor extends Janitor {
  batches: number[];
  calls = 0;
  constructor(
    batches: number[],
    private readonly failAt = -1,
  ) {
    super('test rows');
    this.batches = batches;
  }
  protected purgeBatch(): Promise<number> {
    const i = this.calls++;
    if (i === this.failAt) return Promise.reject(new Error('database down'));
    return Promise.resolve(this.batches[i] ?? 0);
  }
}

describe('Janitor', () => {
  it('purges batch after batch until one deletes nothing, and reports the total', async () => {
    const janitor = new CountingJanitor([1000, 1000, 3]);
    expect(await janitor.purge()).toBe(2003);
    expect(janitor.calls).toBe(4); // the last one found nothing
  });

  it('skips a run while one is going on, and survives a failing batch', async () => {
    const janitor = new CountingJanitor([5, 5], 1);
    const [first, overlapping] = await Promise.all([janitor.purge(), janitor.purge()]);
    expect(overlapping).toBe(0);
    expect(first).toBe(5); // stopped at the failure, logged, no throw
    expect(await janitor.purge()).toBe(0); // the next run starts afresh
  });
});
