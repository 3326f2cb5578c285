import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { TooManyRequestsError, type AppConfig } from '@agents/core';
import { SseUserLimit } from './sse-user-limit';

/** Just enough of an express Response: its events, end state and socket. */
class FakeResponse extends EventEmitter {
  writableEnded = false;
  destroyed = false;
  socket: { destroyed: boolean } | null = { destroyed: false };

  asResponse(): Response {
    return this as unknown as Response;
  }
}

const limitOf = (max: number) => new SseUserLimit({ maxSseConnectionsPerUser: max } as AppConfig);

function refusal(work: () => void): TooManyRequestsError {
  try {
    work();
  } catch (err) {
    if (err instanceof TooManyRequestsError) return err;
    throw err;
  }
  throw new Error('expected a 429');
}

describe('SseUserLimit', () => {
  it('refuses one stream more than the maximum with a Retry-After, per user', () => {
    const limit = limitOf(2);
    limit.hold('u1', new FakeResponse().asResponse());
    limit.hold('u1', new FakeResponse().asResponse());
    const error = refusal(() => limit.hold('u1', new FakeResponse().asResponse()));
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.message).toContain('2 streams');
    limit.hold('u2', new FakeResponse().asResponse());
    expect([limit.openFor('u1'), limit.openFor('u2')]).toEqual([2, 1]);
  });

  it('releases a stream once when it finishes and closes, and frees the slot', () => {
    const limit = limitOf(1);
    const res = new FakeResponse();
    limit.hold('u1', res.asResponse());
    refusal(() => limit.hold('u1', new FakeResponse().asResponse()));
    res.emit('finish');
    res.emit('close');
    expect(limit.openFor('u1')).toBe(0);
    limit.hold('u1', new FakeResponse().asResponse());
    expect(limit.openFor('u1')).toBe(1);
  });

  it('does not count a response whose client is already gone', () => {
    const limit = limitOf(1);
    const gone = new FakeResponse();
    gone.destroyed = true;
    limit.hold('u1', gone.asResponse());
    expect(limit.openFor('u1')).toBe(0);
  });
});
