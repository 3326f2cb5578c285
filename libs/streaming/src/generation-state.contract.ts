import { randomUUID } from 'node:crypto';
import {
  type GenerationStateOptions,
  type GenerationStateStore,
  type NewGeneration,
  type ReserveResult,
} from './generation-state';

/** What an adapter's test file supplies to run the shared contract. */
export interface GenerationStateHarness {
  /** A store on the shared backend; the suite closes every store it made after each test. */
  make(options?: GenerationStateOptions): GenerationStateStore;
  /** The same backend seen from another process (Redis: another store; in-memory: the same store). */
  peer(store: GenerationStateStore): GenerationStateStore;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function newGeneration(overrides: Partial<NewGeneration> = {}): NewGeneration {
  const streamId = overrides.streamId ?? `c-${randomUUID()}`;
  return {
    streamId,
    conversationId: streamId,
    userId: `u-${randomUUID()}`,
    agentId: `agent_${randomUUID().slice(0, 8)}`,
    responseMessageId: randomUUID(),
    userMessageId: randomUUID(),
    ...overrides,
  };
}

/** The contract every generation state adapter passes: the embedded mode is a faithful copy of the distributed one. */
export function describeGenerationStateContract(name: string, harness: GenerationStateHarness): void {
  describe(`${name} (GenerationStateStore contract)`, () => {
    const stores: GenerationStateStore[] = [];
    const make = (options?: GenerationStateOptions): GenerationStateStore => {
      const store = harness.make(options);
      stores.push(store);
      return store;
    };
    const peerOf = (store: GenerationStateStore): GenerationStateStore => {
      const peer = harness.peer(store);
      if (peer !== store) stores.push(peer);
      return peer;
    };
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
    });
    const limit = (maxPerUser: number) => ({ maxPerUser });

    it('reserves a generation as running and reads it back, from another process too', async () => {
      const store = make();
      const generation = newGeneration({ createdAt: '2024-05-01T10:00:00.000Z' });
      const before = Date.now();
      expect(await store.reserve(generation, limit(2))).toBe('reserved');
      const state = await peerOf(store).get(generation.streamId);
      expect(state).toEqual({
        streamId: generation.streamId,
        conversationId: generation.conversationId,
        userId: generation.userId,
        agentId: generation.agentId,
        status: 'running',
        createdAt: '2024-05-01T10:00:00.000Z',
        updatedAt: expect.any(String) as string,
        aggregatedContent: '',
        responseMessageId: generation.responseMessageId,
        userMessageId: generation.userMessageId,
      });
      expect(Date.parse(state!.updatedAt)).toBeGreaterThanOrEqual(before - 5);
      expect(await store.get(`c-${randomUUID()}`)).toBeNull();
      // Without a createdAt, it is now.
      const other = newGeneration();
      await store.reserve(other, limit(2));
      expect(Date.parse((await store.get(other.streamId))!.createdAt)).toBeGreaterThanOrEqual(before - 5);
    });

    it('refuses a second reserve of a running stream with busy and keeps the first', async () => {
      const store = make();
      const first = newGeneration();
      expect(await store.reserve(first, limit(5))).toBe('reserved');
      await store.appendContent(first.streamId, 'Hello');
      const again = { ...first, responseMessageId: randomUUID() };
      expect(await peerOf(store).reserve(again, limit(5))).toBe('busy');
      // Another user reserving the same id is refused too, and holds no slot afterwards.
      const stranger = { ...first, userId: `u-${randomUUID()}` };
      expect(await store.reserve(stranger, limit(1))).toBe('busy');
      expect(await store.activeFor(stranger.userId)).toEqual([]);
      expect(await store.reserve(newGeneration({ userId: stranger.userId }), limit(1))).toBe('reserved');
      const state = await store.get(first.streamId);
      expect(state).toMatchObject({ responseMessageId: first.responseMessageId, aggregatedContent: 'Hello' });
      expect(await store.activeFor(first.userId)).toEqual([first.streamId]);
    });

    it('refuses a user at the limit with limit and records nothing', async () => {
      const store = make();
      const userId = `u-${randomUUID()}`;
      const running = [newGeneration({ userId }), newGeneration({ userId })];
      for (const generation of running) expect(await store.reserve(generation, limit(2))).toBe('reserved');
      const third = newGeneration({ userId });
      expect(await store.reserve(third, limit(2))).toBe('limit');
      expect(await store.get(third.streamId)).toBeNull();
      expect(await store.activeFor(userId)).toEqual(running.map((g) => g.streamId).sort());
      // A higher limit admits it; other users are not affected by this one's count.
      expect(await store.reserve(newGeneration(), limit(1))).toBe('reserved');
      expect(await store.reserve(third, limit(3))).toBe('reserved');
      await expect(store.reserve(newGeneration(), limit(0))).rejects.toThrow(RangeError);
    });

    it('admits exactly maxPerUser of 20 concurrent reserves from two processes', async () => {
      const store = make();
      const peer = peerOf(store);
      const userId = `u-${randomUUID()}`;
      const generations = [...Array(20).keys()].map(() => newGeneration({ userId }));
      const results = await Promise.all(
        generations.map((generation, i) => (i % 2 === 0 ? store : peer).reserve(generation, limit(2))),
      );
      expect(results.filter((r) => r === 'reserved')).toHaveLength(2);
      expect(results.filter((r) => r === 'limit')).toHaveLength(18);
      const reserved = generations.filter((_, i) => results[i] === 'reserved').map((g) => g.streamId);
      expect(await store.activeFor(userId)).toEqual(reserved.sort());
      const states = await Promise.all(generations.map((g) => store.get(g.streamId)));
      expect(states.filter((s) => s !== null)).toHaveLength(2);
    });

    it('admits exactly one of 20 concurrent reserves of the same stream', async () => {
      const store = make();
      const peer = peerOf(store);
      const generation = newGeneration();
      const results: ReserveResult[] = await Promise.all(
        [...Array(20).keys()].map((i) =>
          (i % 2 === 0 ? store : peer).reserve({ ...generation, responseMessageId: `r${i}` }, limit(20)),
        ),
      );
      expect(results.filter((r) => r === 'reserved')).toHaveLength(1);
      expect(results.filter((r) => r === 'busy')).toHaveLength(19);
      const winner = results.indexOf('reserved');
      expect((await store.get(generation.streamId))!.responseMessageId).toBe(`r${winner}`);
      expect(await store.activeFor(generation.userId)).toEqual([generation.streamId]);
    });

    it('frees the slot on finish, and the stream can be reserved afresh', async () => {
      const store = make();
      const peer = peerOf(store);
      const userId = `u-${randomUUID()}`;
      const first = newGeneration({ userId });
      expect(await store.reserve(first, limit(1))).toBe('reserved');
      await store.appendContent(first.streamId, 'old answer');
      expect(await store.reserve(newGeneration({ userId }), limit(1))).toBe('limit');
      expect(await peer.finish(first.streamId, 'completed')).toBe(true);
      expect(await store.finish(first.streamId, 'failed', 'late')).toBe(false);
      expect(await store.get(first.streamId)).toMatchObject({ status: 'completed', aggregatedContent: 'old answer' });
      expect((await store.get(first.streamId))!.error).toBeUndefined();
      expect(await store.activeFor(userId)).toEqual([]);
      const second = newGeneration({ userId });
      expect(await store.reserve(second, limit(1))).toBe('reserved');
      expect(await store.finish(second.streamId, 'aborted')).toBe(true);
      // The same conversation again: a new generation, with nothing of the old one's text.
      const next = { ...first, responseMessageId: randomUUID() };
      expect(await store.reserve(next, limit(1))).toBe('reserved');
      expect(await store.get(first.streamId)).toMatchObject({
        status: 'running',
        aggregatedContent: '',
        responseMessageId: next.responseMessageId,
      });
      expect(await store.finish(first.streamId, 'failed', 'provider returned 500')).toBe(true);
      expect(await store.get(first.streamId)).toMatchObject({ status: 'failed', error: 'provider returned 500' });
      expect(await store.finish(`c-${randomUUID()}`, 'completed')).toBe(false);
    });

    it('accumulates appended text in order and refuses appends once finished', async () => {
      const store = make();
      const peer = peerOf(store);
      const generation = newGeneration();
      await store.reserve(generation, limit(2));
      const before = (await store.get(generation.streamId))!.updatedAt;
      await sleep(5);
      const parts = [...Array(200).keys()].map((i) => `${i},`);
      for (const part of parts) expect(await store.appendContent(generation.streamId, part)).toBe(true);
      await Promise.all(['é', '🙂'].map((part) => store.appendContent(generation.streamId, part)));
      const state = (await peer.get(generation.streamId))!;
      expect(state.aggregatedContent).toBe(`${parts.join('')}é🙂`);
      expect(Date.parse(state.updatedAt)).toBeGreaterThan(Date.parse(before));
      await store.finish(generation.streamId, 'completed');
      expect(await store.appendContent(generation.streamId, 'late')).toBe(false);
      expect(await store.appendContent(`c-${randomUUID()}`, 'unknown')).toBe(false);
      expect((await store.get(generation.streamId))!.aggregatedContent).toBe(`${parts.join('')}é🙂`);
    });

    it('lists exactly the running generations of a user', async () => {
      const store = make();
      const userId = `u-${randomUUID()}`;
      const generations = [...Array(4).keys()].map(() => newGeneration({ userId }));
      for (const generation of generations) await store.reserve(generation, limit(10));
      await store.reserve(newGeneration(), limit(10)); // someone else's
      await store.finish(generations[1].streamId, 'completed');
      await store.finish(generations[3].streamId, 'aborted');
      const expected = [generations[0].streamId, generations[2].streamId].sort();
      expect(await store.activeFor(userId)).toEqual(expected);
      expect(await peerOf(store).activeFor(userId)).toEqual(expected);
      expect(await store.activeFor(`u-${randomUUID()}`)).toEqual([]);
    });

    it('forgets a finished generation once its retention has passed', async () => {
      const store = make({ retentionMs: 200 });
      const generation = newGeneration();
      await store.reserve(generation, limit(2));
      await store.appendContent(generation.streamId, 'text');
      await store.finish(generation.streamId, 'completed');
      await sleep(50);
      expect((await store.get(generation.streamId))!.status).toBe('completed');
      await sleep(400);
      expect(await store.get(generation.streamId)).toBeNull();
    });

    it('expires a running generation whose process stopped updating it, and frees its slot', async () => {
      // A TTL of 1 s and steps of 600 ms: past the TTL since the reserve, within it since the
      // refresh, with 400 ms to spare for a loaded machine's timers.
      const store = make({ runningTtlMs: 1_000 });
      const userId = `u-${randomUUID()}`;
      const crashed = newGeneration({ userId });
      await store.reserve(crashed, limit(1));
      await sleep(600);
      expect(await store.appendContent(crashed.streamId, 'still alive')).toBe(true); // refreshes the TTL
      await sleep(600);
      expect((await store.get(crashed.streamId))!.status).toBe('running');
      expect(await store.reserve(newGeneration({ userId }), limit(1))).toBe('limit');
      await sleep(1_400);
      expect(await store.get(crashed.streamId)).toBeNull();
      expect(await store.activeFor(userId)).toEqual([]);
      expect(await store.reserve(newGeneration({ userId }), limit(1))).toBe('reserved');
      expect(await store.reserve(crashed, limit(2))).toBe('reserved');
    });

    it('records an abort request for a running generation only, seen from another process, cleared by a new reserve', async () => {
      const store = make();
      const peer = peerOf(store);
      const generation = newGeneration();
      expect(await store.requestAbort(generation.streamId)).toBe(false); // unknown: nothing recorded
      await store.reserve(generation, limit(2));
      expect(await peer.abortRequested(generation.streamId)).toBe(false);
      expect(await peer.requestAbort(generation.streamId)).toBe(true);
      expect(await store.abortRequested(generation.streamId)).toBe(true);
      await store.appendContent(generation.streamId, 'still flagged after an append');
      expect(await peer.abortRequested(generation.streamId)).toBe(true);
      await store.finish(generation.streamId, 'aborted');
      expect(await store.requestAbort(generation.streamId)).toBe(false); // finished: nothing to stop
      // The conversation's next message is a new generation on the same stream: not aborted.
      await store.reserve({ ...generation, responseMessageId: randomUUID() }, limit(2));
      expect(await peer.abortRequested(generation.streamId)).toBe(false);
    });
  });
}
