import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { Delivery } from './delivery';
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
  type Unsubscribe,
  jsonEvent,
} from './event-bus';
import { InvalidEventIdError, isEventId, START_ID } from './event-id';
import { RedisLink } from './redis-link';
import { DEFAULT_KEY_PREFIX, type StreamKeys, streamKeys } from './stream-keys';

export interface RedisEventBusOptions extends EventBusOptions {
  url: string;
  /** Prefix of every key and channel (tests use a unique one). Default `agents:stream`. */
  keyPrefix?: string;
  /** CLIENT SETNAME base; the connections are `<name>:cmd` and `<name>:sub`. */
  connectionName?: string;
}

/**
 * Opens a stream unless one is still running. KEYS: meta, log. ARGV: open TTL (ms).
 * A new stream over an ended one starts with an empty log that keeps its last id (XTRIM, not DEL),
 * so its ids stay above the old ones and a client's Last-Event-ID from before skips nothing new.
 */
const CREATE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'state') == 'open' then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('XTRIM', KEYS[2], 'MAXLEN', 0)
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], 'state', 'open')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/**
 * Appends and fans out in one atomic step, so the order of live messages is the order of ids and
 * no subscriber can read the log between the two. KEYS: meta, log. ARGV: live channel, payload
 * JSON, terminal ('1'/'0'), max length, open TTL (ms), retention (ms).
 */
const PUBLISH_SCRIPT = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return redis.error_reply('STREAM_NOT_FOUND') end
if state == 'ended' then return redis.error_reply('STREAM_ENDED') end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'p', ARGV[2], 't', ARGV[3])
local ttl = ARGV[5]
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'state', 'ended')
  ttl = ARGV[6]
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PUBLISH', ARGV[1], '{"id":"' .. id .. '","t":' .. ARGV[3] .. ',"p":' .. ARGV[2] .. '}')
return id
`;

interface ScriptedRedis extends Redis {
  streamCreate(meta: string, log: string, openTtlMs: number): Promise<number>;
  streamPublish(
    meta: string,
    log: string,
    channel: string,
    payload: string,
    terminal: '1' | '0',
    maxLength: number,
    openTtlMs: number,
    retentionMs: number,
  ): Promise<string>;
}

/** XRANGE reply: `[id, [field, value, …]]`. */
type RawEntry = [string, string[]];

/** Log entries are read in pages so that a long backlog never becomes one huge reply. */
const PAGE_SIZE = 500;

type ChannelListener = (message: string) => void;

interface Channel {
  listeners: Set<ChannelListener>;
  /** Resolves once Redis confirmed the SUBSCRIBE: only then may a subscriber read the log. */
  subscribed: Promise<void>;
}

/**
 * The distributed mode's event bus: a Redis Stream per stream for the log and a pub/sub channel
 * for live fan-out. One command connection, and one subscriber connection shared by every
 * subscription of the process (a map channel → listeners, SUBSCRIBE on the first, UNSUBSCRIBE
 * when the last leaves), so open SSE clients cost no Redis connections.
 */
export class RedisEventBus implements EventBus {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly commandLink: RedisLink<ScriptedRedis>;
  private readonly subscriberLink: RedisLink;
  private readonly commands: ScriptedRedis;
  private readonly subscriber: Redis;
  private readonly channels = new Map<string, Channel>();
  private readonly deliveries = new Map<Delivery, StreamKeys>();
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly openTtlMs: number;
  private readonly maxLength: number;
  private controlListeners = 0;
  private closed = false;
  private connectedOnce = false;

  constructor(options: RedisEventBusOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.openTtlMs = options.openTtlMs ?? DEFAULT_OPEN_TTL_MS;
    this.maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    const name = options.connectionName ?? 'agents-event-bus';
    this.commandLink = new RedisLink<ScriptedRedis>(options.url, `${name}:cmd`, this.logger);
    // resync() subscribes the channels still wanted after a reconnect, and only those.
    this.subscriberLink = new RedisLink(options.url, `${name}:sub`, this.logger, { subscriber: true });
    this.commands = this.commandLink.client;
    this.subscriber = this.subscriberLink.client;
    this.commands.defineCommand('streamCreate', { numberOfKeys: 2, lua: CREATE_SCRIPT });
    this.commands.defineCommand('streamPublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    this.subscriber.on('ready', () => this.onSubscriberReady());
  }

  async create(streamId: string): Promise<boolean> {
    this.assertOpen();
    const keys = this.keys(streamId);
    return (await this.commands.streamCreate(keys.meta, keys.log, this.openTtlMs)) === 1;
  }

  async publish(streamId: string, payload: unknown, options: PublishOptions = {}): Promise<string> {
    this.assertOpen();
    const keys = this.keys(streamId);
    const terminal = options.terminal === true ? '1' : '0';
    try {
      return await this.commands.streamPublish(
        keys.meta,
        keys.log,
        keys.live,
        toJson(payload),
        terminal,
        this.maxLength,
        this.openTtlMs,
        this.retentionMs,
      );
    } catch (err) {
      // Redis prefixes script errors with a code ("ERR STREAM_ENDED").
      const message = err instanceof Error ? err.message : '';
      if (/\bSTREAM_NOT_FOUND\b/.test(message)) throw new StreamNotFoundError(streamId);
      if (/\bSTREAM_ENDED\b/.test(message)) throw new StreamEndedError(streamId);
      throw err;
    }
  }

  async subscribe(
    streamId: string,
    afterId: string | undefined,
    handler: StreamEventHandler,
  ): Promise<Subscription | null> {
    this.assertOpen();
    const from = afterId ?? START_ID;
    if (!isEventId(from)) throw new InvalidEventIdError(from);
    const keys = this.keys(streamId);
    const listener: ChannelListener = (message) => delivery.live(parseLive(message));
    const delivery: Delivery = new Delivery(from, handler, async () => {
      this.deliveries.delete(delivery);
      await this.detach(keys.live, listener);
    });
    this.deliveries.set(delivery, keys);
    try {
      // Listen first, then read: an event published in between is in the read or arrives live.
      await this.attach(keys.live, listener);
      const found = await this.catchUp(delivery, keys);
      delivery.endRead(); // the hold the delivery was born with
      if (found) return delivery;
      await delivery.close();
      return null;
    } catch (err) {
      await delivery.close();
      throw err;
    }
  }

  async exists(streamId: string): Promise<boolean> {
    this.assertOpen();
    return (await this.commands.exists(this.keys(streamId).meta)) === 1;
  }

  async publishControl(streamId: string, message: ControlMessage): Promise<number> {
    this.assertOpen();
    return this.commands.publish(this.keys(streamId).control, toJson(message));
  }

  async onControl(streamId: string, handler: ControlHandler): Promise<Unsubscribe> {
    this.assertOpen();
    const channel = this.keys(streamId).control;
    const listener: ChannelListener = (raw) => {
      const message = asControlMessage(parseJson(raw));
      if (message) handler(message);
      else this.logger.warn(`Dropped a malformed control message on ${channel}`);
    };
    await this.attach(channel, listener);
    this.controlListeners += 1;
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      this.controlListeners -= 1;
      await this.detach(channel, listener);
    };
  }

  /** Throws RedisUnavailableError while either connection is down, so callers fail fast with a 503. */
  assertAvailable(): void {
    this.commandLink.assertUp();
    this.subscriberLink.assertUp();
  }

  stats(): EventBusStats {
    return {
      subscriptions: this.deliveries.size,
      controlListeners: this.controlListeners,
      channels: this.channels.size,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.deliveries.keys()].map((delivery) => delivery.close()));
    await Promise.all([this.commandLink.close(), this.subscriberLink.close()]);
  }

  private keys(streamId: string): StreamKeys {
    return streamKeys(this.prefix, streamId);
  }

  /**
   * Reads the log after the delivery's position and hands it over, holding live events meanwhile.
   * Resolves false when the stream is unknown (never created, or expired).
   */
  private async catchUp(delivery: Delivery, keys: StreamKeys): Promise<boolean> {
    delivery.beginRead();
    try {
      const first = await this.commands
        .multi()
        .hget(keys.meta, 'state')
        .xrange(keys.log, rangeStart(delivery.position), '+', 'COUNT', PAGE_SIZE)
        .exec();
      const [[stateError, state], [rangeError, range]] = first ?? [];
      const failure = stateError ?? rangeError;
      if (failure) throw failure;
      if (state === null) return false;
      let page = range as RawEntry[];
      delivery.backlog(page.map(parseEntry));
      while (page.length === PAGE_SIZE && !delivery.closed) {
        page = await this.commands.xrange(keys.log, rangeStart(delivery.position), '+', 'COUNT', PAGE_SIZE);
        delivery.backlog(page.map(parseEntry));
      }
      // Ended before the read: the terminal event was in it, or at or before the position.
      if (state === 'ended') await delivery.endWithoutEvent();
      return true;
    } finally {
      delivery.endRead();
    }
  }

  /** Adds a listener to a channel, subscribing the shared connection when it is the first one. */
  private async attach(name: string, listener: ChannelListener): Promise<void> {
    let channel = this.channels.get(name);
    if (!channel) {
      const subscribed = this.subscriber.subscribe(name).then(() => undefined);
      channel = { listeners: new Set(), subscribed };
      this.channels.set(name, channel);
    }
    channel.listeners.add(listener);
    await channel.subscribed;
  }

  /** Removes a listener; the last one out unsubscribes the channel. Never rejects. */
  private async detach(name: string, listener: ChannelListener): Promise<void> {
    const channel = this.channels.get(name);
    if (!channel?.listeners.delete(listener) || channel.listeners.size > 0) return;
    this.channels.delete(name);
    try {
      await channel.subscribed;
      if (!this.closed) await this.subscriber.unsubscribe(name);
    } catch (err) {
      this.logger.warn(`Could not unsubscribe ${name}: ${String(err)}`);
    }
  }

  private dispatch(name: string, message: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    for (const listener of [...channel.listeners]) {
      try {
        listener(message);
      } catch (err) {
        this.logger.error(`A listener of ${name} failed: ${String(err)}`);
      }
    }
  }

  /**
   * Messages published while the subscriber connection was down are lost to pub/sub. After a
   * reconnect the channels still listened to are subscribed again (only those: one whose listener
   * left during the outage stays unsubscribed), and each open subscription re-reads the log from its
   * position, so a reconnect costs a read, never an event. A subscription whose stream is gone
   * (Redis came back empty) ends as `lost`.
   */
  private onSubscriberReady(): void {
    if (!this.connectedOnce) {
      this.connectedOnce = true;
      return;
    }
    void this.resync();
  }

  private async resync(): Promise<void> {
    try {
      const names = [...this.channels.keys()];
      if (names.length > 0) await this.subscriber.subscribe(...names);
      await Promise.all(
        [...this.deliveries].map(async ([delivery, keys]) => {
          if (!(await this.catchUp(delivery, keys))) await delivery.lose();
        }),
      );
    } catch (err) {
      this.logger.warn(`Could not resync subscriptions after a reconnect: ${String(err)}`);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EventBusClosedError();
    this.assertAvailable();
  }
}

function rangeStart(afterId: string): string {
  return afterId === START_ID ? '-' : `(${afterId}`;
}

function parseEntry([id, fields]: RawEntry): StreamEvent {
  let json = 'null';
  let terminal = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'p') json = fields[i + 1];
    else if (fields[i] === 't') terminal = fields[i + 1] === '1';
  }
  return jsonEvent(id, json, terminal);
}

const LIVE_HEAD = '{"id":"';
const LIVE_TERMINAL = '","t":';
const LIVE_PAYLOAD = ',"p":';

/**
 * Live messages are `{"id":"<id>","t":<0|1>,"p":<payload JSON>}`, exactly as the publish script
 * writes them around the payload: cut apart, not parsed (the payload is parsed only if read).
 */
function parseLive(message: string): StreamEvent {
  const idEnd = message.indexOf('"', LIVE_HEAD.length);
  const flag = idEnd + LIVE_TERMINAL.length;
  if (
    !message.startsWith(LIVE_HEAD) ||
    idEnd < 0 ||
    !message.startsWith(LIVE_TERMINAL, idEnd) ||
    !message.startsWith(LIVE_PAYLOAD, flag + 1) ||
    !message.endsWith('}')
  ) {
    throw new Error(`Malformed live message: ${message.slice(0, 80)}`);
  }
  return jsonEvent(
    message.slice(LIVE_HEAD.length, idEnd),
    message.slice(flag + 1 + LIVE_PAYLOAD.length, -1),
    message.charAt(flag) === '1',
  );
}

function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}
