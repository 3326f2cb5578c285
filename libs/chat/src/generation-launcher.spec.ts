import { randomUUID } from 'node:crypto';
import type { AppConfig } from '@agents/core';
import { BudgetExceededError, type BudgetClaim, type BudgetGate } from '@agents/usage';
import { InMemoryEventBus, InMemoryGenerationState, type NewGeneration, type StreamEvent } from '@agents/streaming';
import { GenerationBusyError, GenerationLauncher, GenerationLimitError } from './generation-launcher';
import type { ConversationGenerationJob } from './generation-job';
import type { GenerationJobs } from './generation-queue';
import { readStreamEvent } from './stream-events';

describe('GenerationLauncher', () => {
  let bus: InMemoryEventBus;
  let state: InMemoryGenerationState;
  let add: jest.Mock<Promise<void>, [string, ConversationGenerationJob]>;
  let launcher: GenerationLauncher;
  /** Budget reservations held, by generation id; `refuse` makes the next reservation fail. */
  let held: Set<string>;
  let refuse: boolean;
  const userId = randomUUID();
  const model = { provider: 'openai', model: 'gpt-4o-mini' };

  const generation = (streamId: string): NewGeneration => ({
    streamId,
    conversationId: streamId,
    userId,
    agentId: 'agent_x',
    userMessageId: 'u1',
    responseMessageId: 'r1',
  });
  const job = (streamId: string): ConversationGenerationJob => ({
    ...generation(streamId),
    agentVersion: 1,
  });
  const log = async (streamId: string): Promise<StreamEvent[]> => {
    const events: StreamEvent[] = [];
    const subscription = await bus.subscribe(streamId, '0', (event) => events.push(event));
    await subscription?.close();
    return events;
  };

  beforeEach(() => {
    bus = new InMemoryEventBus();
    state = new InMemoryGenerationState();
    add = jest.fn((_id: string, _job: ConversationGenerationJob) => Promise.resolve());
    const jobs = { add } as unknown as GenerationJobs;
    held = new Set();
    refuse = false;
    const budgets = {
      reserve: (claim: BudgetClaim) => {
        if (refuse) throw new BudgetExceededError('user', 'daily', 'tokens', new Date(Date.now() + 60_000));
        held.add(claim.id);
        return Promise.resolve(true);
      },
      release: (id: string) => Promise.resolve(void held.delete(id)),
    } as unknown as BudgetGate;
    launcher = new GenerationLauncher(bus, jobs, state, { maxConcurrentGenerations: 2 } as AppConfig, budgets);
  });
  afterEach(async () => {
    await bus.close();
    await state.close();
  });

  it('refuses a busy stream and a user at the limit, recording nothing', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await launcher.reserve(generation(a), model);
    await expect(launcher.reserve(generation(a), model)).rejects.toBeInstanceOf(GenerationBusyError);
    await launcher.reserve(generation(b), model);
    await expect(launcher.reserve(generation(c), model)).rejects.toBeInstanceOf(GenerationLimitError);
    expect(await state.get(c)).toBeNull();
  });

  it('holds budget only for generations it recorded: a refused start lets its reservation go', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    // Every start has its own response id, as chat and the OpenAI-compatible API give each one.
    const own = (streamId: string, attempt = 1) => ({
      ...generation(streamId),
      responseMessageId: `r${attempt}-${streamId}`,
    });
    await launcher.reserve(own(a), model);
    await expect(launcher.reserve(own(a, 2), model)).rejects.toBeInstanceOf(GenerationBusyError);
    await launcher.reserve(own(b), model);
    await expect(launcher.reserve(own(c), model)).rejects.toBeInstanceOf(GenerationLimitError);
    expect([...held].sort()).toEqual([`r1-${a}`, `r1-${b}`].sort());
  });

  it('refuses a start over budget before recording anything', async () => {
    refuse = true;
    const streamId = randomUUID();
    await expect(launcher.reserve(generation(streamId), model)).rejects.toBeInstanceOf(BudgetExceededError);
    expect(await state.get(streamId)).toBeNull();
  });

  it('opens the stream, runs the step before the job, publishes created, then queues the job', async () => {
    const streamId = randomUUID();
    const order: string[] = [];
    add.mockImplementation(() => {
      order.push('enqueued');
      return Promise.resolve();
    });
    await launcher.reserve(generation(streamId), model);
    await launcher.launch(job(streamId), {
      onBeforeEnqueue: () => {
        order.push('before');
        return Promise.resolve();
      },
      created: { created: true, message: {} as never, streamId },
      failureMessage: 'could not start',
    });
    expect(order).toEqual(['before', 'enqueued']);
    expect(add).toHaveBeenCalledWith(`${streamId}.r1`, job(streamId));
    expect((await log(streamId)).map((e) => readStreamEvent(e.payload)?.kind)).toEqual(['created']);
  });

  it('on a failed launch releases the reservation, ends the stream with the error, and rethrows', async () => {
    const streamId = randomUUID();
    const onFailure = jest.fn(() => Promise.resolve());
    add.mockRejectedValue(new Error('queue down'));
    await launcher.reserve(generation(streamId), model);
    await expect(launcher.launch(job(streamId), { onFailure, failureMessage: 'could not start' })).rejects.toThrow(
      'queue down',
    );
    expect(onFailure).toHaveBeenCalled();
    expect(await state.get(streamId)).toMatchObject({ status: 'failed' });
    expect(held.has('r1')).toBe(false); // its budget reservation too
    const events = await log(streamId);
    expect(events.map((e) => [e.payload, e.terminal])).toEqual([[{ error: 'could not start' }, true]]);
    await launcher.reserve(generation(streamId), model); // the conversation is free again
  });

  it('refuses a stream another start opened meanwhile, leaving that stream alone', async () => {
    const streamId = randomUUID();
    await bus.create(streamId);
    await launcher.reserve(generation(streamId), model);
    await expect(launcher.launch(job(streamId), { failureMessage: 'x' })).rejects.toBeInstanceOf(GenerationBusyError);
    expect(await log(streamId)).toEqual([]);
    expect(await state.get(streamId)).toMatchObject({ status: 'failed' });
  });

  it('aborts through the state first, then the control channel', async () => {
    const streamId = randomUUID();
    await launcher.reserve(generation(streamId), model);
    await launcher.launch(job(streamId), { failureMessage: 'x' });
    const heard: unknown[] = [];
    const stop = await bus.onControl(streamId, (message) => heard.push(message));
    await launcher.abort(streamId, 'client disconnected');
    expect(await state.abortRequested(streamId)).toBe(true);
    expect(heard).toEqual([{ type: 'abort', reason: 'client disconnected' }]);
    expect(await launcher.isLive(streamId)).toBe(true);
    await stop();
  });
});
