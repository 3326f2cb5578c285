import { InProcessJobQueue } from './in-process-job-queue';
import { describeJobQueueContract } from './job-queue.contract';

describeJobQueueContract('in-process', () => ({ make: () => new InProcessJobQueue<{ n: number }>() }));
