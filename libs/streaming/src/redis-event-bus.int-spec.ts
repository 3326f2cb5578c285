import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { keysUnder, TEST_REDIS_URL, uniqueKeyPrefix } from '@agents/testing/redis';
import { startOwnedRedis, type OwnedRedis } from '@agents/testing/redis-server';
import { describeEventBusContract, waitFor } from './event-bus.contract';
import { type EventBusOptions, type StreamEvent } from './event-bus';
import { RedisEventBus } from './redis-event-bus';
import { streamKeys } from './stream-keys';

const REDIS_URL = TEST_REDIS_URL;
const PREFIX = uniqueKeyPrefix('bus');
/** Each bus gets its own connection names, so CLIENT LIST can count exactly its connections. */
const connectionName = () => `${PREFIX}:${randomUUID().slice(0, 8)}`;

let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  const keys = await allKeys();
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

function allKeys(): Promise<string[]> {
  return keysUnder(admin, PREFIX);
}

const options = new Map<RedisEventBus, EventBusOptions>();
function makeBus(busOptions: EventBusOptions = {}): RedisEventBus {
  const bus = new RedisEventBus({ ...busOptions, url: REDIS_URL, keyPrefix: PREFIX, connectionName: connectionName() });
  options.set(bus, busOptions);
  return bus;
}

describeEventBusContract('RedisEventBus', {
  make: makeBus,
  // Another process: its own connections, the same Redis.
  peer: (bus) => makeBus(options.get(bus as RedisEventBus)),
  // MAXLEN ~ trims whole radix-tree nodes (stream-node-max-entries, 100 by default).
  capSlack: 100,
});

describe('RedisEventBus (Redis specifics)', () => {
  const buses: RedisEventBus[] = [];
  const bus = (busOptions?: EventBusOptions & { connectionName?: string }) => {
    const made = new RedisEventBus({
      url: REDIS_URL,
      keyPrefix: PREFIX,
      connectionName: connectionName(),
      ...busOptions,
    });
    buses.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  const numsub = async (channel: string): Promise<number> => {
    const reply = (await admin.pubsub('NUMSUB', channel)) as [string, number];
    return Number(reply[1]);
  };
  const clientIdsNamed = async (name: string): Promise<string[]> => {
    const list = String(await admin.client('LIST')).split('\n');
    return list.filter((line) => line.includes(` name=${name} `)).map((line) => /^id=(\d+)/.exec(line)![1]);
  };
  const clientsNamed = async (name: string): Promise<number> => (await clientIdsNamed(name)).length;

  it('serves 200 concurrent subscriptions to different streams over one subscriber connection', async () => {
    const name = connectionName();
    const events = bus({ connectionName: name });
    const streamIds = [...Array(200).keys()].map(() => `s-${randomUUID()}`);
    for (const id of streamIds) await events.create(id);
    const received = new Map<string, StreamEvent[]>();
    const subscriptions = await Promise.all(
      streamIds.map((id) => {
        received.set(id, []);
        return events.subscribe(id, '0', (event) => received.get(id)!.push(event));
      }),
    );
    expect(await clientsNamed(`${name}:sub`)).toBe(1);
    expect(await clientsNamed(`${name}:cmd`)).toBe(1);
    expect(events.stats()).toEqual({ subscriptions: 200, controlListeners: 0, channels: 200 });
    expect(await numsub(streamKeys(PREFIX, streamIds[0]).live)).toBe(1);
    await Promise.all(streamIds.map((id) => events.publish(id, { for: id })));
    await waitFor(() => [...received.values()].every((list) => list.length === 1), 'one event on every stream');
    expect(streamIds.every((id) => (received.get(id)![0].payload as { for: string }).for === id)).toBe(true);
    await Promise.all(subscriptions.map((s) => s!.close()));
    expect(events.stats()).toEqual({ subscriptions: 0, controlListeners: 0, channels: 0 });
    expect(await admin.pubsub('CHANNELS', `${PREFIX}:*`)).toEqual([]);
  });

  it('subscribes a channel once and unsubscribes it when the last local listener leaves', async () => {
    const events = bus();
    const streamId = `s-${randomUUID()}`;
    await events.create(streamId);
    const { live, control } = streamKeys(PREFIX, streamId);
    const first = await events.subscribe(streamId, '0', () => undefined);
    const second = await events.subscribe(streamId, '0', () => undefined);
    const stopControl = await events.onControl(streamId, () => undefined);
    expect(await numsub(live)).toBe(1);
    expect(await numsub(control)).toBe(1);
    await first!.close();
    expect(await numsub(live)).toBe(1);
    await second!.close();
    await stopControl();
    expect(await numsub(live)).toBe(0);
    expect(await numsub(control)).toBe(0);
    // A terminal event also releases the channel.
    const third = await events.subscribe(streamId, '0', () => undefined);
    expect(await numsub(live)).toBe(1);
    await events.publish(streamId, { final: true }, { terminal: true });
    expect(await third!.done).toBe('ended');
    await waitFor(() => events.stats().channels === 0, 'channel released');
    expect(await numsub(live)).toBe(0);
  });

  it('gives every key of a stream a TTL and the {streamId} hash tag, and the retention once it ends', async () => {
    const events = bus({ retentionMs: 5_000, openTtlMs: 60_000 });
    const streamId = `s-${randomUUID()}`;
    await events.create(streamId);
    await events.publish(streamId, { n: 0 });
    const keys = (await allKeys()).filter((key) => key.includes(streamId));
    expect(keys.sort()).toEqual([streamKeys(PREFIX, streamId).log, streamKeys(PREFIX, streamId).meta].sort());
    for (const key of keys) {
      expect(key).toContain(`{${streamId}}`);
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    await events.publish(streamId, { final: true }, { terminal: true });
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    }
  });

  it('caps the Redis Stream near the configured length', async () => {
    const events = bus({ maxLength: 50 });
    const streamId = `s-${randomUUID()}`;
    await events.create(streamId);
    for (let i = 0; i < 600; i += 1) await events.publish(streamId, { n: i });
    const length = await admin.xlen(streamKeys(PREFIX, streamId).log);
    expect(length).toBeGreaterThanOrEqual(50);
    expect(length).toBeLessThanOrEqual(150);
  });

  it('loses no event when the subscriber connection drops and reconnects', async () => {
    const name = connectionName();
    const events = bus({ connectionName: name });
    const publisher = bus();
    const streamId = `s-${randomUUID()}`;
    await publisher.create(streamId);
    const received: StreamEvent[] = [];
    const subscription = await events.subscribe(streamId, '0', (event) => received.push(event));
    const published = [await publisher.publish(streamId, { n: 0 })];
    await waitFor(() => received.length === 1, 'first event');
    const [subscriberId] = await clientIdsNamed(`${name}:sub`);
    await admin.client('KILL', 'ID', subscriberId);
    // Published while the subscriber is down: only the log has them.
    for (let i = 1; i < 20; i += 1) published.push(await publisher.publish(streamId, { n: i }));
    published.push(await publisher.publish(streamId, { final: true }, { terminal: true }));
    expect(await subscription!.done).toBe('ended');
    expect(received.map((event) => event.id)).toEqual(published);
    expect(await clientsNamed(`${name}:sub`)).toBe(1);
  });
});

describe('RedisEventBus across a Redis restart that loses every key', () => {
  let redis: OwnedRedis;
  beforeAll(async () => {
    redis = await startOwnedRedis();
  });
  afterAll(() => redis.stop());

  it('ends subscriptions of vanished streams as lost, and subscribes again only the channels still listened to', async () => {
    const bus = new RedisEventBus({ url: redis.url, keyPrefix: 'drill' });
    try {
      const kept = randomUUID();
      const gone = randomUUID();
      await bus.create(kept);
      const stopKept = await bus.onControl(kept, () => undefined);
      const stopGone = await bus.onControl(gone, () => undefined);
      const received: StreamEvent[] = [];
      const subscription = (await bus.subscribe(kept, '0', (e) => received.push(e)))!;
      await bus.publish(kept, { n: 1 });
      await waitFor(() => received.length === 1, 'the first event');

      await redis.kill();
      await waitFor(() => bus.stats().channels === 3 && isDown(bus), 'the outage to be noticed');
      await stopGone(); // its UNSUBSCRIBE cannot reach Redis now
      await redis.start();

      // The stream's log went with Redis: its subscriber is told, not left waiting.
      expect(await subscription.done).toBe('lost');
      const inspector = redis.client();
      await eventually(async () => (await inspector.pubsub('CHANNELS', '*')).length === 1);
      expect(await inspector.pubsub('CHANNELS', '*')).toEqual([streamKeys('drill', kept).control]);
      await stopKept();
      await eventually(async () => (await inspector.pubsub('CHANNELS', '*')).length === 0);
      expect(bus.stats()).toEqual({ subscriptions: 0, controlListeners: 0, channels: 0 });
    } finally {
      await bus.close();
    }
  }, 30_000);
});

function isDown(bus: RedisEventBus): boolean {
  try {
    bus.assertAvailable();
    return false;
  } catch {
    return true;
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
