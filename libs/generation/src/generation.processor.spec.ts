import type { AppConfig } from '@agents/core';
import { InProcessJobQueue } from '@agents/jobs';
import { InMemoryEventBus, InMemoryGenerationState, type StreamEvent } from '@agents/streaming';
import type { ConversationGenerationJob, GenerationJob } from '@agents/chat';
import { GenerationProcessor, SHUTDOWN_FAILURE } from './generation.processor';
import type { GenerationService } from './generation.service';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processor's shutdown: drain running generations, and end the ones that outlast the drain. */
describe('GenerationProcessor shutdown', () => {
  let bus: InMemoryEventBus;
  let state: InMemoryGenerationState;
  let jobs: InProcessJobQueue<GenerationJob>;
  /** Each handled job's stream id, in the order they started. */
  let started: string[];

  /**
   * Stands in for GenerationService: runs for `runMs`, or until its stream's abort arrives, or until
   * the worker cuts it off (then ends it as failed, as the real service does) — unless `stuck`.
   */
  function fakeService(runMs: number, { stuck = false } = {}): GenerationService {
    return {
      warmUp: () => undefined,
      handle: async (job: GenerationJob, shutdown?: AbortSignal) => {
        started.push(job.streamId);
        let aborted = false;
        const stop = await bus.onControl(job.streamId, (message) => (aborted = message.type === 'abort'));
        const until = Date.now() + runMs;
        while (!aborted && !(shutdown?.aborted && !stuck) && Date.now() < until) await sleep(5);
        await stop();
        if (stuck) return; // it hung past the grace: the processor has ended its stream
        if (shutdown?.aborted) {
          await state.finish(job.streamId, 'failed', 'cut off');
          await bus.publish(
            job.streamId,
            { error: 'cut off', responseMessage: { unfinished: true } },
            { terminal: true },
          );
        } else if (!aborted) {
          await state.finish(job.streamId, 'completed');
          await bus.publish(job.streamId, { final: true }, { terminal: true });
        }
      },
    } as unknown as GenerationService;
  }

  function processor(service: GenerationService, drainMs: number): GenerationProcessor {
    const config = { workerConcurrency: 4, shutdownDrainMs: drainMs } as AppConfig;
    const made = new GenerationProcessor(jobs, bus, state, service, config);
    made.onApplicationBootstrap();
    return made;
  }

  async function enqueue(streamId: string): Promise<StreamEvent[]> {
    const job: ConversationGenerationJob = {
      streamId,
      conversationId: streamId,
      userId: 'u1',
      agentId: 'a1',
      agentVersion: 1,
      userMessageId: `m-${streamId}`,
      responseMessageId: `r-${streamId}`,
    };
    await state.reserve(job, { maxPerUser: 10 });
    await bus.create(streamId);
    const events: StreamEvent[] = [];
    await bus.subscribe(streamId, '0', (event) => events.push(event));
    await jobs.add(`${streamId}.r`, job);
    return events;
  }

  beforeEach(() => {
    bus = new InMemoryEventBus();
    state = new InMemoryGenerationState();
    jobs = new InProcessJobQueue<GenerationJob>();
    started = [];
  });
  afterEach(() => bus.close());

  it('lets a running generation finish within the drain and takes no new job meanwhile', async () => {
    const worker = processor(fakeService(150), 2_000);
    const events = await enqueue('s1');
    while (started.length === 0) await sleep(5);

    const draining = worker.beforeApplicationShutdown();
    await expect(enqueue('s2')).rejects.toThrow(/closed/);
    await draining;

    expect(events.map((e) => e.payload)).toEqual([{ final: true }]);
    expect((await state.get('s1'))?.status).toBe('completed');
    expect(started).toEqual(['s1']);
  });

  it('cuts off a generation that outlasts the drain, and lets it end itself as failed', async () => {
    const worker = processor(fakeService(60_000), 100);
    const events = await enqueue('s1');
    while (started.length === 0) await sleep(5);

    const t0 = Date.now();
    await worker.beforeApplicationShutdown();
    expect(Date.now() - t0).toBeLessThan(2_000); // drain 100 ms, then the cut-off stops it at once

    // The generation's own end, stored message and all: the processor adds no second terminal event.
    expect(events.map((e) => e.payload)).toEqual([{ error: 'cut off', responseMessage: { unfinished: true } }]);
    expect(await state.get('s1')).toMatchObject({ status: 'failed', error: 'cut off' });
    expect(await state.activeFor('u1')).toEqual([]);
  });

  it('ends the stream itself when a cut-off generation cannot end within the grace', async () => {
    const worker = processor(fakeService(5_500, { stuck: true }), 100);
    const events = await enqueue('s1');
    while (started.length === 0) await sleep(5);

    const t0 = Date.now();
    const draining = worker.beforeApplicationShutdown();
    while (events.length === 0 && Date.now() - t0 < 7_000) await sleep(20);
    const endedAfter = Date.now() - t0;
    expect(endedAfter).toBeGreaterThanOrEqual(5_000); // drain 100 ms + the 5 s grace
    expect(endedAfter).toBeLessThan(6_500);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ terminal: true, payload: { error: SHUTDOWN_FAILURE } });
    expect(await state.get('s1')).toMatchObject({ status: 'failed', error: SHUTDOWN_FAILURE });
    expect(await state.activeFor('u1')).toEqual([]);
    await draining;
    await sleep(600); // the hung generation returns before the bus closes
  }, 20_000);
});
