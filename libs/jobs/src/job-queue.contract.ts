import type { JobQueue } from './job-queue';

export interface QueueFixture {
  /** A fresh queue; several calls in one test share the same underlying queue (two "processes"). */
  make: () => JobQueue<{ n: number }>;
  /** Waits until a queue's consumers and event listeners are attached. */
  ready?: (queue: JobQueue<{ n: number }>) => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** The behaviour both the BullMQ and the in-process queue guarantee. */
export function describeJobQueueContract(name: string, fixture: () => QueueFixture): void {
  describe(`JobQueue contract: ${name}`, () => {
    const open: JobQueue<{ n: number }>[] = [];
    let f: QueueFixture;
    const make = () => {
      const q = f.make();
      open.push(q);
      return q;
    };
    beforeEach(() => {
      f = fixture();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((q) => q.close(1_000)));
    });

    it('runs every job once with its data, including jobs added before process()', async () => {
      const q = make();
      await q.add('a', { n: 1 });
      const seen: [string, number][] = [];
      q.process(
        (job) => {
          seen.push([job.id, job.data.n]);
          return Promise.resolve();
        },
        { concurrency: 2 },
      );
      await f.ready?.(q);
      await q.add('b', { n: 2 });
      await q.add('c', { n: 3 });
      await until(() => seen.length === 3);
      await sleep(100);
      expect(seen.sort()).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]);
    });

    it('ignores a second add of an id that is still queued or running', async () => {
      const q = make();
      let runs = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      q.process(
        async () => {
          runs += 1;
          await gate;
        },
        { concurrency: 4 },
      );
      await f.ready?.(q);
      await q.add('same', { n: 1 });
      await until(() => runs === 1);
      await q.add('same', { n: 2 });
      await sleep(200);
      release();
      await sleep(100);
      expect(runs).toBe(1);
    });

    it('never runs more than `concurrency` jobs at once', async () => {
      const q = make();
      let running = 0;
      let peak = 0;
      let done = 0;
      q.process(
        async () => {
          running += 1;
          peak = Math.max(peak, running);
          await sleep(30);
          running -= 1;
          done += 1;
        },
        { concurrency: 3 },
      );
      await f.ready?.(q);
      await Promise.all(Array.from({ length: 12 }, (_, i) => q.add(`job-${i}`, { n: i })));
      await until(() => done === 12);
      expect(peak).toBe(3);
    });

    it('fails a job whose handler throws, tells failure listeners, and does not run it again', async () => {
      const q = make();
      const failures: [string, string][] = [];
      q.onFailed((id, reason) => failures.push([id, reason]));
      let runs = 0;
      q.process(
        () => {
          runs += 1;
          return Promise.reject(new Error('provider exploded'));
        },
        { concurrency: 1 },
      );
      await f.ready?.(q);
      await q.add('boom', { n: 1 });
      await until(() => failures.length === 1);
      await sleep(300);
      expect(failures).toEqual([['boom', 'provider exploded']]);
      expect(runs).toBe(1);
    });

    it('close() stops taking jobs and lets the running one finish', async () => {
      const q = make();
      const finished: string[] = [];
      const started: string[] = [];
      q.process(
        async (job) => {
          started.push(job.id);
          await sleep(300);
          finished.push(job.id);
        },
        { concurrency: 1 },
      );
      await f.ready?.(q);
      await q.add('first', { n: 1 });
      await until(() => started.length === 1);
      await q.add('second', { n: 2 });
      await q.close(5_000);
      expect(finished).toEqual(['first']);
      expect(started).toEqual(['first']);
    });
  });
}
