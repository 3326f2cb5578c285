import { randomBytes } from 'node:crypto';
import { TEST_REDIS_URL } from '../../../test/support/redis';
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
