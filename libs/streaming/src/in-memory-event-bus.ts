import {
  asControlMessage,
  type ControlHandler,
  type ControlMessage,
  DEFAULT_MAX_LENGTH,
  DEFAULT_OPEN_TTL_MS,
  DEFAULT_RETENTION_MS,
  type EventBus,
  EventBusClosedError,
  type EventBusOptions,
  type EventBusStats,
  type PublishOptions,
  StreamEndedError,
  type StreamEvent,
  type StreamEventHandler,
  StreamNotFoundError,
  type Subscription,
  toJson,
  jsonEvent,
  type Unsubscribe,
} from './event-bus';
import { compareEventIds, EventIdGenerator, InvalidEventIdError, isEventId, START_ID } from './event-id';
import { Delivery } from './delivery';

interface MemoryStream {
  ended: boolean;
  log: StreamEvent[];
  deliveries: Set<Delivery>;
  /** Removes the stream when its TTL passes, like Redis key expiry. */
  expiry: NodeJS.Timeout;
}

/**
 * The embedded mode's event bus: the same ids, replay, end and retention semantics as the Redis
 * one, kept in this process. Payloads go through JSON so that both modes hand subscribers the
 * same values.
 */
export class InMemoryEventBus implements EventBus {
  private readonly streams = new Map<string, MemoryStream>();
  private readonly controls = new Map<string, Set<ControlHandler>>();
  private readonly ids = new EventIdGenerator();
  private readonly retentionMs: number;
  private readonly openTtlMs: number;
  private readonly maxLength: number;
  private closed = false;

  constructor(options: EventBusOptions = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.openTtlMs = options.openTtlMs ?? DEFAULT_OPEN_TTL_MS;
    this.maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  }

  create(streamId: string): Promise<boolean> {
    return this.settle(() => {
      const previous = this.streams.get(streamId);
      if (previous && !previous.ended) return false;
      if (previous) this.remove(streamId, previous);
      this.streams.set(streamId, {
        ended: false,
        log: [],
        deliveries: new Set(),
        expiry: this.expireAfter(streamId, this.openTtlMs),
      });
      return true;
    });
  }

  publish(streamId: string, payload: unknown, options: PublishOptions = {}): Promise<string> {
    return this.settle(() => {
      const stream = this.streams.get(streamId);
      if (!stream) throw new StreamNotFoundError(streamId);
      if (stream.ended) throw new StreamEndedError(streamId);
      const terminal = options.terminal === true;
      // As it round-trips through JSON, like the Redis bus's: a copy no subscriber can change.
      const event = jsonEvent(this.ids.next(), toJson(payload), terminal);
      stream.log.push(event);
      if (stream.log.length > this.maxLength) stream.log.splice(0, stream.log.length - this.maxLength);
      stream.ended = terminal;
      clearTimeout(stream.expiry);
      stream.expiry = this.expireAfter(streamId, terminal ? this.retentionMs : this.openTtlMs);
      for (const delivery of [...stream.deliveries]) delivery.live(event);
      return event.id;
    });
  }

  subscribe(streamId: string, afterId: string | undefined, handler: StreamEventHandler): Promise<Subscription | null> {
    return this.settle(() => {
      const from = afterId ?? START_ID;
      if (!isEventId(from)) throw new InvalidEventIdError(from);
      const stream = this.streams.get(streamId);
      if (!stream) return null;
      const delivery = new Delivery(from, handler, () => {
        stream.deliveries.delete(delivery);
        return Promise.resolve();
      });
      stream.deliveries.add(delivery);
      // One synchronous step: no event can be published between reading the log and listening.
      delivery.backlog(stream.log.filter((event) => compareEventIds(event.id, from) > 0));
      delivery.endRead();
      if (stream.ended) void delivery.endWithoutEvent();
      return delivery;
    });
  }

  exists(streamId: string): Promise<boolean> {
    return Promise.resolve(this.streams.has(streamId));
  }

  publishControl(streamId: string, message: ControlMessage): Promise<number> {
    return this.settle(() => {
      const handlers = [...(this.controls.get(streamId) ?? [])];
      const parsed = asControlMessage(JSON.parse(toJson(message)));
      if (parsed) for (const handler of handlers) handler(parsed);
      // Redis counts receiving connections; here the whole process is the one receiver.
      return handlers.length > 0 ? 1 : 0;
    });
  }

  onControl(streamId: string, handler: ControlHandler): Promise<Unsubscribe> {
    return this.settle(() => {
      let handlers = this.controls.get(streamId);
      if (!handlers) this.controls.set(streamId, (handlers = new Set()));
      const own = handlers;
      const listener: ControlHandler = (message) => handler(message);
      own.add(listener);
      return () => {
        own.delete(listener);
        if (own.size === 0 && this.controls.get(streamId) === own) this.controls.delete(streamId);
        return Promise.resolve();
      };
    });
  }

  /** The in-process bus is always there. */
  assertAvailable(): void {
    // nothing can be down
  }

  stats(): EventBusStats {
    let subscriptions = 0;
    let liveChannels = 0;
    for (const stream of this.streams.values()) {
      subscriptions += stream.deliveries.size;
      if (stream.deliveries.size > 0) liveChannels += 1;
    }
    let controlListeners = 0;
    for (const handlers of this.controls.values()) controlListeners += handlers.size;
    return { subscriptions, controlListeners, channels: liveChannels + this.controls.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const streams = [...this.streams.entries()];
    const deliveries = streams.flatMap(([, stream]) => [...stream.deliveries]);
    this.controls.clear();
    for (const [streamId, stream] of streams) this.remove(streamId, stream);
    await Promise.all(deliveries.map((delivery) => delivery.close()));
  }

  private expireAfter(streamId: string, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const stream = this.streams.get(streamId);
      if (stream) this.remove(streamId, stream);
    }, ms);
    timer.unref();
    return timer;
  }

  /** Drops the stream; subscribers still waiting on it are closed rather than left hanging. */
  private remove(streamId: string, stream: MemoryStream): void {
    clearTimeout(stream.expiry);
    if (this.streams.get(streamId) === stream) this.streams.delete(streamId);
    for (const delivery of [...stream.deliveries]) void delivery.close();
  }

  /** Runs a synchronous step as the interface's promise: rejected when the bus is closed or the step throws. */
  private settle<T>(step: () => T): Promise<T> {
    try {
      if (this.closed) throw new EventBusClosedError();
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
