import { randomBytes } from 'node:crypto';
import { ServiceUnavailableError } from '@agents/core';
import { freePort } from '@agents/testing/process';
import { TEST_REDIS_URL } from '@agents/testing/redis';
import { BullMqJobQueue, connectionFromUrl } from './bullmq-job-queue';
import type { JobQueue } from './job-queue';
import { describeJobQueueContract } from './job-queue.contract';

const connection = connectionFromUrl(TEST_REDIS_URL);
const prefix = `agents-test-${randomBytes(4).toString('hex')}`;

describeJobQueueContract('BullMQ on Redis', () => {
  const name = `generation-${randomBytes(4).toString('hex')}`;
  return {
    make: () => new BullMqJobQueue<{ n: number }>(name, connection, { prefix }),
    ready: (q: JobQueue<{ n: number }>) => (q as BullMqJobQueue<{ n: number }>).waitUntilReady(),
  };
});

describe('BullMqJobQueue with Redis down', () => {
  it('refuses add at once with a ServiceUnavailableError naming Redis, and closes cleanly', async () => {
    const queue = new BullMqJobQueue<{ n: number }>(
      'generation',
      connectionFromUrl(`redis://127.0.0.1:${await freePort()}`),
      { prefix },
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // the first connection attempt has failed
    const t0 = Date.now();
    await expect(queue.add('job-1', { n: 1 })).rejects.toThrow(ServiceUnavailableError);
    await expect(queue.add('job-1', { n: 1 })).rejects.toThrow(/redis/i);
    expect(Date.now() - t0).toBeLessThan(500);
    await queue.close(100);
  });
});
