import { randomUUID } from 'node:crypto';
import {
  EventBusClosedError,
  type EventBus,
  type EventBusOptions,
  type ControlMessage,
  StreamEndedError,
  type StreamEvent,
  StreamNotFoundError,
  type Subscription,
} from './event-bus';
import { compareEventIds, InvalidEventIdError } from './event-id';

/** What an adapter's test file supplies to run the shared contract. */
export interface EventBusHarness {
  /** A bus on the shared backend; the suite closes every bus it made after each test. */
  make(options?: EventBusOptions): EventBus;
  /** The same backend seen from another process (Redis: another bus; in-memory: the same bus). */
  peer(bus: EventBus): EventBus;
  /** How far above `maxLength` a capped log may stay (Redis trims whole nodes under `MAXLEN ~`). */
  capSlack: number;
}

/** Collects what a subscription hands its handler. */
class Received {
  readonly events: StreamEvent[] = [];
  readonly handler = (event: StreamEvent): void => {
    this.events.push(event);
  };
  get ids(): string[] {
    return this.events.map((event) => event.id);
  }
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves what the promise resolves, or 'pending' if it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function expectIncreasing(ids: string[]): void {
  for (let i = 1; i < ids.length; i += 1) expect(compareEventIds(ids[i - 1], ids[i])).toBeLessThan(0);
}

/** The contract every EventBus adapter passes: the embedded mode is a faithful copy of the distributed one. */
export function describeEventBusContract(name: string, harness: EventBusHarness): void {
  describe(`${name} (EventBus contract)`, () => {
    const buses: EventBus[] = [];
    const make = (options?: EventBusOptions): EventBus => {
      const bus = harness.make(options);
      buses.push(bus);
      return bus;
    };
    const peerOf = (bus: EventBus): EventBus => {
      const peer = harness.peer(bus);
      if (peer !== bus) buses.push(peer);
      return peer;
    };
    afterEach(async () => {
      await Promise.all(buses.splice(0).map((bus) => bus.close()));
    });

    const newStream = async (bus: EventBus): Promise<string> => {
      const streamId = `s-${randomUUID()}`;
      expect(await bus.create(streamId)).toBe(true);
      return streamId;
    };
    const publishAll = async (bus: EventBus, streamId: string, count: number, from = 0): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = from; i < from + count; i += 1) ids.push(await bus.publish(streamId, { n: i }));
      return ids;
    };
    const subscribe = async (bus: EventBus, streamId: string, afterId?: string) => {
      const received = new Received();
      const subscription = await bus.subscribe(streamId, afterId, received.handler);
      if (!subscription) throw new Error(`stream ${streamId} reported unknown`);
      return { received, subscription };
    };

    it('returns increasing ms-seq ids from publish and round-trips payloads through JSON', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      const ids = await publishAll(bus, streamId, 50);
      expect(ids.every((id) => /^\d+-\d+$/.test(id))).toBe(true);
      expectIncreasing(ids);
      await bus.publish(streamId, { at: new Date(0), skip: undefined, list: [1, 'a'] });
      const { received } = await subscribe(bus, streamId, ids[49]);
      expect(received.events[0].payload).toEqual({ at: '1970-01-01T00:00:00.000Z', list: [1, 'a'] });
      await expect(bus.publish(streamId, undefined)).rejects.toThrow(TypeError);
    });

    it('carries each payload as its JSON text, live and replayed alike, whatever the text holds', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      // Text that looks like the bus's own framing must not confuse it.
      const tricky = { text: '","t":1,"p":{"x":"}"}', nested: { quote: '"', brace: '}' }, n: [0, -1.5] };
      const live = new Received();
      const subscription = (await bus.subscribe(streamId, undefined, live.handler))!;
      await bus.publish(streamId, tricky);
      await bus.publish(streamId, { done: true }, { terminal: true });
      await waitFor(() => live.events.length === 2, 'the live events');
      const { received: replayed } = await subscribe(bus, streamId, undefined);
      for (const events of [live.events, replayed.events]) {
        expect(events.map((e) => e.terminal)).toEqual([false, true]);
        expect(events[0].payload).toEqual(tricky);
        expect(typeof events[0].json).toBe('string');
        expect(JSON.parse(events[0].json!)).toEqual(tricky);
        expect(events[1].payload).toEqual({ done: true });
      }
      await subscription.close();
    });

    it('replays from the start (0 or undefined) in order, then delivers live events, then ends', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      const before = await publishAll(bus, streamId, 5);
      const fromZero = await subscribe(bus, streamId, '0');
      const fromUndefined = await subscribe(bus, streamId);
      expect(fromZero.received.ids).toEqual(before);
      expect(fromZero.received.events.map((e) => e.payload)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
      const after = await publishAll(bus, streamId, 3, 5);
      const last = await bus.publish(streamId, { final: true }, { terminal: true });
      const all = [...before, ...after, last];
      for (const { received, subscription } of [fromZero, fromUndefined]) {
        expect(await within(subscription.done, 2_000)).toBe('ended');
        expect(received.ids).toEqual(all);
        expect(received.events.map((e) => e.terminal)).toEqual(all.map((id) => id === last));
      }
      expect(bus.stats().subscriptions).toBe(0);
    });

    it('delivers exactly the events after a given id', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      const ids = await publishAll(bus, streamId, 10);
      const { received } = await subscribe(bus, streamId, ids[6]);
      expect(received.ids).toEqual(ids.slice(7));
      const later = await publishAll(bus, streamId, 2, 10);
      await waitFor(() => received.events.length === 5, 'live events');
      expect(received.ids).toEqual([...ids.slice(7), ...later]);
      const fromLast = await subscribe(bus, streamId, later[1]);
      expect(fromLast.received.events).toEqual([]);
    });

    it('gives subscribers attaching during a burst of publishes every id exactly once, in order', async () => {
      const bus = make();
      const peer = peerOf(bus);
      const streamId = await newStream(bus);
      const published: string[] = [];
      const publisher = (async () => {
        for (let i = 0; i < 300; i += 1) {
          published.push(await bus.publish(streamId, { n: i }));
          if (i % 10 === 0) await sleep(1);
        }
        // The tail goes out pipelined, without awaiting each publish.
        published.push(
          ...(await Promise.all([...Array(100).keys()].map((i) => bus.publish(streamId, { n: 300 + i })))),
        );
        published.push(await bus.publish(streamId, { final: true }, { terminal: true }));
      })();
      const subscribers = await Promise.all(
        [...Array(12).keys()].map(async (i) => {
          await sleep(i * 3);
          // Half resume from the last id known at that moment, like a reconnecting client.
          const afterId = i % 2 === 0 ? '0' : (published.at(-1) ?? '0');
          const { received, subscription } = await subscribe(i % 3 === 0 ? peer : bus, streamId, afterId);
          return { afterId, received, subscription };
        }),
      );
      await publisher;
      expect(published).toHaveLength(401);
      // Some attached mid-burst (else the case proves nothing about the race).
      const midway = subscribers.filter(({ afterId }) => afterId !== '0' && afterId !== published.at(-1));
      expect(midway.length).toBeGreaterThan(0);
      expectIncreasing(published);
      for (const { afterId, received, subscription } of subscribers) {
        expect(await within(subscription.done, 5_000)).toBe('ended');
        expect(received.ids).toEqual(published.filter((id) => compareEventIds(id, afterId) > 0));
      }
    });

    it('delivers the terminal event exactly once and rejects any publish after it', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      const ids = await publishAll(bus, streamId, 2);
      const { received, subscription } = await subscribe(bus, streamId, '0');
      const last = await bus.publish(streamId, { final: true }, { terminal: true });
      await expect(bus.publish(streamId, { late: true })).rejects.toBeInstanceOf(StreamEndedError);
      await expect(bus.publish(streamId, { final: true }, { terminal: true })).rejects.toBeInstanceOf(StreamEndedError);
      expect(await within(subscription.done, 2_000)).toBe('ended');
      await sleep(50);
      expect(received.ids).toEqual([...ids, last]);
      expect(received.events.filter((e) => e.terminal)).toHaveLength(1);
      const replay = await subscribe(bus, streamId, '0');
      expect(replay.received.ids).toEqual([...ids, last]);
    });

    it('gets the terminal event when it attaches in the same instant the stream ends', async () => {
      const bus = make();
      const peer = peerOf(bus);
      for (let round = 0; round < 40; round += 1) {
        const streamId = await newStream(bus);
        const ids = await publishAll(bus, streamId, 3);
        const received = new Received();
        const [last, subscription] = await Promise.all([
          (async () => {
            if (round % 2 === 1) await sleep(0);
            return bus.publish(streamId, { final: true }, { terminal: true });
          })(),
          peer.subscribe(streamId, round % 4 < 2 ? '0' : ids[2], received.handler),
        ]);
        expect(subscription).not.toBeNull();
        expect(await within(subscription!.done, 1_000)).toBe('ended');
        expect(received.ids).toEqual(round % 4 < 2 ? [...ids, last] : [last]);
      }
    });

    it('replays an ended stream within its retention and ends promptly', async () => {
      const bus = make({ retentionMs: 60_000 });
      const streamId = await newStream(bus);
      const ids = await publishAll(bus, streamId, 20);
      ids.push(await bus.publish(streamId, { final: true }, { terminal: true }));
      expect(await bus.exists(streamId)).toBe(true);
      const started = Date.now();
      const { received, subscription } = await subscribe(peerOf(bus), streamId, ids[4]);
      expect(await within(subscription.done, 1_000)).toBe('ended');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(received.ids).toEqual(ids.slice(5));
      // A client that already saw the terminal event is told the stream is over, not left waiting.
      const atEnd = await subscribe(bus, streamId, ids[20]);
      expect(await within(atEnd.subscription.done, 1_000)).toBe('ended');
      expect(atEnd.received.events).toEqual([]);
    });

    it('forgets an ended stream once its retention has passed', async () => {
      const bus = make({ retentionMs: 200 });
      const streamId = await newStream(bus);
      await publishAll(bus, streamId, 3);
      await bus.publish(streamId, { final: true }, { terminal: true });
      await sleep(50);
      expect(await bus.exists(streamId)).toBe(true);
      await sleep(400);
      expect(await bus.exists(streamId)).toBe(false);
      expect(await bus.subscribe(streamId, '0', () => undefined)).toBeNull();
      await expect(bus.publish(streamId, { n: 1 })).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('expires a stream that never ends once its open TTL passes without a publish', async () => {
      const bus = make({ openTtlMs: 300 });
      const streamId = await newStream(bus);
      await sleep(200);
      await bus.publish(streamId, { n: 0 }); // refreshes the TTL
      await sleep(200);
      expect(await bus.exists(streamId)).toBe(true);
      await sleep(300);
      expect(await bus.exists(streamId)).toBe(false);
    });

    it('reports an unknown stream at once', async () => {
      const bus = make();
      const streamId = `s-${randomUUID()}`;
      expect(await bus.exists(streamId)).toBe(false);
      const handler = jest.fn();
      expect(await within(bus.subscribe(streamId, '0', handler), 500)).toBeNull();
      expect(handler).not.toHaveBeenCalled();
      await expect(bus.publish(streamId, { n: 0 })).rejects.toBeInstanceOf(StreamNotFoundError);
      expect(bus.stats()).toEqual({ subscriptions: 0, controlListeners: 0, channels: 0 });
    });

    it('lets subscribers attach to a created stream before its first event', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      expect(await bus.exists(streamId)).toBe(true);
      const { received } = await subscribe(peerOf(bus), streamId, '0');
      const id = await bus.publish(streamId, { created: true });
      await waitFor(() => received.events.length === 1, 'first event');
      expect(received.ids).toEqual([id]);
    });

    it('refuses to create over an open stream and starts afresh over an ended one', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      const old = await publishAll(bus, streamId, 2);
      expect(await bus.create(streamId)).toBe(false);
      expect(await bus.publish(streamId, { n: 2 })).toBeDefined();
      await bus.publish(streamId, { final: true }, { terminal: true });
      expect(await bus.create(streamId)).toBe(true);
      const fresh = await publishAll(bus, streamId, 2, 10);
      const { received } = await subscribe(bus, streamId, '0');
      expect(received.ids).toEqual(fresh);
      expect(compareEventIds(fresh[0], old[1])).toBeGreaterThan(0);
    });

    it('stops delivering and releases its listener on close()', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      const first = await subscribe(bus, streamId, '0');
      const second = await subscribe(bus, streamId, '0');
      expect(bus.stats()).toMatchObject({ subscriptions: 2, channels: 1 });
      const id = await bus.publish(streamId, { n: 0 });
      await waitFor(() => first.received.events.length === 1 && second.received.events.length === 1, 'event');
      await first.subscription.close();
      await first.subscription.close();
      expect(await first.subscription.done).toBe('closed');
      expect(bus.stats()).toMatchObject({ subscriptions: 1, channels: 1 });
      const next = await bus.publish(streamId, { n: 1 });
      await waitFor(() => second.received.events.length === 2, 'event after close');
      expect(first.received.ids).toEqual([id]);
      expect(second.received.ids).toEqual([id, next]);
      await second.subscription.close();
      expect(bus.stats()).toEqual({ subscriptions: 0, controlListeners: 0, channels: 0 });
    });

    it('closes only the subscription whose handler throws', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      const failing = await bus.subscribe(streamId, '0', () => {
        throw new Error('client gone');
      });
      const healthy = await subscribe(bus, streamId, '0');
      const ids = await publishAll(bus, streamId, 2);
      expect(await within(failing!.done, 1_000)).toBe('closed');
      await waitFor(() => healthy.received.events.length === 2, 'healthy subscriber');
      expect(healthy.received.ids).toEqual(ids);
      expect(bus.stats().subscriptions).toBe(1);
    });

    it('rejects a malformed afterId', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      for (const bad of ['', 'abc', '12', '1-2-3', '-1-0', '1-x']) {
        await expect(bus.subscribe(streamId, bad, () => undefined)).rejects.toBeInstanceOf(InvalidEventIdError);
      }
      expect(bus.stats().subscriptions).toBe(0);
    });

    it('delivers control messages to listeners in another process until they unsubscribe', async () => {
      const worker = make();
      const api = peerOf(worker);
      const streamId = `s-${randomUUID()}`;
      const got: ControlMessage[] = [];
      const other: ControlMessage[] = [];
      const unsubscribe = await worker.onControl(streamId, (message) => got.push(message));
      const unsubscribeOther = await worker.onControl(`s-${randomUUID()}`, (message) => other.push(message));
      expect(worker.stats().controlListeners).toBe(2);
      expect(await api.publishControl(streamId, { type: 'abort', reason: 'user' })).toBeGreaterThanOrEqual(1);
      await waitFor(() => got.length === 1, 'control message');
      expect(got).toEqual([{ type: 'abort', reason: 'user' }]);
      expect(other).toEqual([]);
      await unsubscribe();
      await unsubscribeOther();
      expect(worker.stats()).toEqual({ subscriptions: 0, controlListeners: 0, channels: 0 });
      expect(await api.publishControl(streamId, { type: 'abort' })).toBe(0);
      await sleep(50);
      expect(got).toHaveLength(1);
    });

    it('caps the log at the configured length, keeping the newest events', async () => {
      const maxLength = 20;
      const bus = make({ maxLength });
      const streamId = await newStream(bus);
      const ids = await publishAll(bus, streamId, 300);
      ids.push(await bus.publish(streamId, { final: true }, { terminal: true }));
      const { received, subscription } = await subscribe(bus, streamId, '0');
      expect(await within(subscription.done, 1_000)).toBe('ended');
      expect(received.events.length).toBeGreaterThanOrEqual(maxLength);
      expect(received.events.length).toBeLessThanOrEqual(maxLength + harness.capSlack);
      expect(received.ids).toEqual(ids.slice(ids.length - received.events.length));
    });

    it('closes every subscription on close() and refuses work afterwards', async () => {
      const bus = make();
      const streamId = await newStream(bus);
      const subscriptions: Subscription[] = [];
      for (let i = 0; i < 3; i += 1) subscriptions.push((await subscribe(bus, streamId, '0')).subscription);
      await bus.close();
      expect(await Promise.all(subscriptions.map((s) => s.done))).toEqual(['closed', 'closed', 'closed']);
      expect(bus.stats().subscriptions).toBe(0);
      await expect(bus.publish(streamId, { n: 0 })).rejects.toBeInstanceOf(EventBusClosedError);
      await expect(bus.subscribe(streamId, '0', () => undefined)).rejects.toBeInstanceOf(EventBusClosedError);
      await bus.close();
    });
  });
}
