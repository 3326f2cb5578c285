import { Logger } from '@nestjs/common';
import { type StreamEvent, type StreamEventHandler, type Subscription, type SubscriptionEnd } from './event-bus';
import { compareEventIds } from './event-id';

/**
 * One subscriber's cursor. Events may reach it twice (in a log read and live) and live ones may
 * arrive while the log is being read; it hands each id to the handler once, in order, by
 * remembering the last id delivered and holding live events back while a read is in progress.
 */
export class Delivery implements Subscription {
  private static readonly logger = new Logger('EventBus');

  readonly done: Promise<SubscriptionEnd>;
  private resolveDone!: (end: SubscriptionEnd) => void;
  private lastId: string;
  /** Reads in progress. Starts at 1: live events are held from the moment the listener exists until the first read was handled. */
  private reads = 1;
  private held: StreamEvent[] = [];
  private released?: Promise<void>;

  /** @param release detaches the listener; must not reject. */
  constructor(
    afterId: string,
    private readonly handler: StreamEventHandler,
    private readonly release: () => Promise<void>,
  ) {
    this.lastId = afterId;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** The id of the last event handled: where the next log read starts. */
  get position(): string {
    return this.lastId;
  }

  get closed(): boolean {
    return this.released !== undefined;
  }

  /**
   * A log read starts: hold live events until it is handled, they may be newer than what it
   * returns. (A live event handled first would move the position past events only the read has.)
   */
  beginRead(): void {
    this.reads += 1;
  }

  /** The read's events were handled: release the held live events (duplicates drop out by id). */
  endRead(): void {
    this.reads -= 1;
    if (this.reads > 0) return;
    const held = this.held;
    this.held = [];
    for (const event of held) this.deliver(event);
  }

  /** Events read from the log, in order. */
  backlog(events: readonly StreamEvent[]): void {
    for (const event of events) this.deliver(event);
  }

  /** An event fanned out live. */
  live(event: StreamEvent): void {
    if (this.closed) return;
    if (this.reads > 0) this.held.push(event);
    else this.deliver(event);
  }

  /** The stream had already ended at or before this subscriber's position: nothing is left to deliver. */
  endWithoutEvent(): Promise<void> {
    return this.finish('ended');
  }

  close(): Promise<void> {
    return this.finish('closed');
  }

  /** The stream vanished under this subscriber (its backend lost it): delivery stops, unended. */
  lose(): Promise<void> {
    return this.finish('lost');
  }

  private deliver(event: StreamEvent): void {
    if (this.closed || compareEventIds(event.id, this.lastId) <= 0) return;
    this.lastId = event.id;
    try {
      this.handler(event);
    } catch (err) {
      Delivery.logger.error(`A stream event handler threw; closing its subscription: ${String(err)}`);
      void this.finish('closed');
      return;
    }
    if (event.terminal) void this.finish('ended');
  }

  private finish(end: SubscriptionEnd): Promise<void> {
    if (!this.released) {
      this.held = [];
      this.resolveDone(end);
      this.released = this.release();
    }
    return this.released;
  }
}
