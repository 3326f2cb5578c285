import { ConflictError, NotFoundError } from '@agents/core';
import { START_ID } from './event-id';

/** Nest injection token of the process's one {@link EventBus}. */
export const EVENT_BUS = Symbol('EVENT_BUS');

/** One event of a generation stream, as appended to its log. */
export interface StreamEvent {
  /** `ms-seq`, strictly increasing within a stream; becomes the SSE `id:` line. */
  readonly id: string;
  /** The JSON payload (docs/http-api.md § Streams), as it round-trips through JSON. */
  readonly payload: unknown;
  /** True for the one event (final or error) that ends the stream. */
  readonly terminal: boolean;
  /**
   * The payload's JSON text as the bus carried it, when it has it: what an SSE frame sends, so a
   * frame need not serialize again what it never had to read.
   */
  readonly json?: string;
}

/**
 * An event carried as JSON text: the payload is parsed the first time it is read, and only then
 * (most deliveries only pass the text on).
 */
export function jsonEvent(id: string, json: string, terminal: boolean): StreamEvent {
  let payload: unknown;
  let parsed = false;
  return {
    id,
    terminal,
    json,
    get payload(): unknown {
      if (!parsed) {
        payload = JSON.parse(json) as unknown;
        parsed = true;
      }
      return payload;
    },
  };
}

/**
 * Receives a subscription's events, each exactly once and in id order. It is called synchronously
 * and must not block; one that throws has its subscription closed.
 */
export type StreamEventHandler = (event: StreamEvent) => void;

/**
 * Why a subscription stopped: `ended` once the terminal event was handled (or at once, when the
 * stream had ended at or before `afterId`), `closed` when it, the bus, or its expired stream was
 * closed, `lost` when the stream vanished before its terminal event (Redis came back empty after an
 * outage): the subscriber never saw the end and should say so.
 */
export type SubscriptionEnd = 'ended' | 'closed' | 'lost';

export interface Subscription {
  /** Resolves once, when delivery stops. */
  readonly done: Promise<SubscriptionEnd>;
  /** Stops delivery and releases the listener (and the channel, when it was the last one). Idempotent. */
  close(): Promise<void>;
}

export interface PublishOptions {
  /** This is the final or error event: the stream ends and its retention starts. */
  terminal?: boolean;
}

/** Sent by whoever wants a running generation to change course; received by the worker holding it. */
export type ControlMessage = { type: 'abort'; reason?: string };
export type ControlHandler = (message: ControlMessage) => void;
/** Removes a control listener (and the channel subscription, when it was the last one). */
export type Unsubscribe = () => Promise<void>;

/** Counters for health checks and leak tests. */
export interface EventBusStats {
  /** Open event subscriptions in this process. */
  subscriptions: number;
  /** Control listeners in this process. */
  controlListeners: number;
  /** Channels (live and control) this process is subscribed to. */
  channels: number;
}

export interface EventBusOptions {
  /** How long an ended stream can still be replayed. Default 10 minutes. */
  retentionMs?: number;
  /**
   * Lifetime of a stream that has not ended, refreshed by every publish, so a stream whose
   * publisher crashed does not live forever. Default 1 hour.
   */
  openTtlMs?: number;
  /** Cap on a stream's log (approximate on Redis: trimmed by whole nodes). Default 10,000. */
  maxLength?: number;
}

export const DEFAULT_RETENTION_MS = 10 * 60_000;
export const DEFAULT_OPEN_TTL_MS = 60 * 60_000;
export const DEFAULT_MAX_LENGTH = 10_000;

/**
 * The per-stream event log with live fan-out that makes SSE delivery exactly-once and in order
 * across reconnects and api instances. Redis Streams + pub/sub in the distributed mode, an
 * in-process copy with the same semantics in the embedded one; both pass `event-bus.contract.ts`.
 *
 * Lifecycle of a stream: `create` → `publish`* → `publish(…, {terminal: true})` → replayable for
 * the retention → gone (unknown). A stream id is a conversation id, so `create` may start a new
 * stream over an ended one.
 */
export interface EventBus {
  /**
   * Opens a stream so that subscribers can attach before its first event. Replaces an ended stream
   * with the same id. Resolves `false`, changing nothing, while a stream with this id is still open.
   */
  create(streamId: string): Promise<boolean>;

  /**
   * Appends an event to the stream's log and fans it out to live subscribers in one atomic step.
   * Resolves the event id. Rejects with {@link StreamNotFoundError} for an unknown stream and
   * {@link StreamEndedError} once the terminal event was published.
   */
  publish(streamId: string, payload: unknown, options?: PublishOptions): Promise<string>;

  /**
   * Delivers the events after `afterId` (`'0'` or undefined: from the start), then live ones, each
   * exactly once and in order, until the terminal event or `close()`. Listens before it reads the
   * log, so nothing published in between is missed. Backlog events may be handled before the
   * promise resolves. Resolves `null` at once for an unknown or expired stream. Throws
   * {@link InvalidEventIdError} for a malformed `afterId`.
   */
  subscribe(streamId: string, afterId: string | undefined, handler: StreamEventHandler): Promise<Subscription | null>;

  /** True while the stream is open or within its retention. */
  exists(streamId: string): Promise<boolean>;

  /** Sends a control message to every listener of the stream, in any process. Resolves how many processes got it. */
  publishControl(streamId: string, message: ControlMessage): Promise<number>;

  /** Listens for the stream's control messages; resolves once listening, so no later message is missed. */
  onControl(streamId: string, handler: ControlHandler): Promise<Unsubscribe>;

  stats(): EventBusStats;

  /**
   * Throws a ServiceUnavailableError (503) while the backend is known to be unreachable (Redis
   * down), so a route can refuse at once instead of waiting on a dead connection. Never throws for
   * the in-process bus.
   */
  assertAvailable(): void;

  /** Closes every subscription (`done` → `closed`) and the connections. Later calls reject. */
  close(): Promise<void>;
}

/** No stream with this id: never created, or expired. */
export class StreamNotFoundError extends NotFoundError {
  constructor(readonly streamId: string) {
    super(`Stream ${streamId} not found`);
  }
}

/** The stream already got its terminal event; nothing may follow it. */
export class StreamEndedError extends ConflictError {
  constructor(readonly streamId: string) {
    super(`Stream ${streamId} has ended`);
  }
}

/** The bus was closed (the process is shutting down). */
export class EventBusClosedError extends Error {
  override readonly name = 'EventBusClosedError';
  constructor() {
    super('The event bus is closed');
  }
}

/** Serializes a payload once, so both adapters accept and return exactly what JSON can carry. */
export function toJson(payload: unknown): string {
  const json = JSON.stringify(payload);
  if (json === undefined) throw new TypeError('An event payload must be JSON-serializable');
  return json;
}

/** Only well-formed control messages reach handlers; anything else on the channel is dropped. */
export function asControlMessage(value: unknown): ControlMessage | null {
  if (typeof value !== 'object' || value === null) return null;
  const { type, reason } = value as Record<string, unknown>;
  if (type !== 'abort') return null;
  return typeof reason === 'string' ? { type, reason } : { type };
}

/**
 * A stream's log as it stands: every event so far (both adapters hand the backlog over before
 * `subscribe` resolves), without waiting for more. Null for an unknown or expired stream.
 */
export async function readLog(bus: EventBus, streamId: string): Promise<StreamEvent[] | null> {
  const events: StreamEvent[] = [];
  const subscription = await bus.subscribe(streamId, START_ID, (event) => {
    events.push(event);
  });
  if (!subscription) return null;
  const log = [...events];
  await subscription.close();
  return log;
}
