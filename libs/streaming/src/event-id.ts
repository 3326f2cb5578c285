/**
 * Event ids are Redis Stream entry ids, `<ms>-<seq>`: assigned once when an event is appended and
 * carried by every SSE frame, so a reconnecting client can say exactly where it stopped.
 * The in-memory bus mints ids of the same shape so both modes behave alike.
 */
const EVENT_ID = /^(\d{1,15})-(\d{1,15})$/;

/** "From the very start": every real id is greater. */
export const START_ID = '0';

/** True for `0` and for well-formed `ms-seq` ids (the values a client may send as Last-Event-ID). */
export function isEventId(value: string): boolean {
  return value === START_ID || EVENT_ID.test(value);
}

function parts(id: string): [number, number] {
  if (id === START_ID) return [0, 0];
  const match = EVENT_ID.exec(id);
  if (!match) throw new InvalidEventIdError(id);
  return [Number(match[1]), Number(match[2])];
}

/** Numeric comparison (`9-0` < `10-0`, which a string comparison gets wrong). */
export function compareEventIds(a: string, b: string): number {
  const [aMs, aSeq] = parts(a);
  const [bMs, bSeq] = parts(b);
  return aMs !== bMs ? aMs - bMs : aSeq - bSeq;
}

/** A Last-Event-ID (or an `afterId`) that is not an event id. */
export class InvalidEventIdError extends Error {
  override readonly name = 'InvalidEventIdError';
  constructor(readonly value: string) {
    super(`Not an event id: ${JSON.stringify(value.slice(0, 64))}`);
  }
}

/** Mints strictly increasing `ms-seq` ids, like Redis does for `XADD *`, even if the clock steps back. */
export class EventIdGenerator {
  private lastMs = 0;
  private seq = 0;

  next(now = Date.now()): string {
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else {
      this.seq += 1;
    }
    return `${this.lastMs}-${this.seq}`;
  }
}
