import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { SseConnections } from './sse-connections';

/** Just enough of an express Response for the registry: events, end state, and its socket. */
class FakeResponse extends EventEmitter {
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  socket: { destroyed: boolean; end: jest.Mock } | null = { destroyed: false, end: jest.fn() };

  /** What the responder's own finish does: end the response, which then flushes. */
  end = jest.fn(() => {
    this.writableEnded = true;
    setImmediate(() => {
      this.writableFinished = true;
      this.emit('finish');
      this.emit('close');
    });
  });

  asResponse(): Response {
    return this as unknown as Response;
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('SseConnections', () => {
  it('ends every open stream at shutdown and closes its connection, then forgets it', async () => {
    const connections = new SseConnections();
    const a = new FakeResponse();
    const b = new FakeResponse();
    connections.register(a.asResponse(), a.end);
    connections.register(b.asResponse(), b.end);
    expect(connections.size).toBe(2);

    await connections.beforeApplicationShutdown();

    for (const res of [a, b]) {
      expect(res.end).toHaveBeenCalledTimes(1);
      expect(res.socket!.end).toHaveBeenCalledTimes(1);
    }
    expect(connections.size).toBe(0);
  });

  it('stops tracking a stream that ends on its own', async () => {
    const connections = new SseConnections();
    const res = new FakeResponse();
    connections.register(res.asResponse(), res.end);
    res.end();
    await nextTurn();
    expect(connections.size).toBe(0);
    await connections.beforeApplicationShutdown();
    expect(res.end).toHaveBeenCalledTimes(1); // not ended a second time
  });

  it('ends, on the next turn, a stream whose client left before it was registered', async () => {
    const connections = new SseConnections();
    const res = new FakeResponse();
    res.socket!.destroyed = true;
    connections.register(res.asResponse(), res.end);
    expect(connections.size).toBe(0);
    expect(res.end).not.toHaveBeenCalled(); // the caller finishes setting up first
    await nextTurn();
    expect(res.end).toHaveBeenCalledTimes(1);
  });

  it('ends a stream opened during shutdown straight away', async () => {
    const connections = new SseConnections();
    await connections.beforeApplicationShutdown();
    const res = new FakeResponse();
    connections.register(res.asResponse(), res.end);
    await nextTurn();
    expect(res.end).toHaveBeenCalledTimes(1);
    expect(connections.size).toBe(0);
  });
});
