import { randomBytes } from 'node:crypto';
import { BullMqJobQueue, connectionFromUrl } from './bullmq-job-queue';
import type { JobQueue } from './job-queue';
import { describeJobQueueContract } from './job-queue.contract';

// eslint-disable-next-line no-restricted-properties -- tests may point at another Redis
const connection = connectionFromUrl(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `agents-test-${randomBytes(4).toString('hex')}`;

describeJobQueueContract('BullMQ on Redis', () => {
  const name = `generation-${randomBytes(4).toString('hex')}`;
  return {
    make: () => new BullMqJobQueue<{ n: number }>(name, connection, { prefix }),
    ready: (q: JobQueue<{ n: number }>) => (q as BullMqJobQueue<{ n: number }>).waitUntilReady(),
  };
});
