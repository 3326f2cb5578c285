import { BatchedAppender } from './batched-appender';

describe('BatchedAppender', () => {
  let clock = 0;
  let sent: string[];
  const appender = () =>
    new BatchedAppender(
      (text) => {
        sent.push(text);
        return Promise.resolve();
      },
      250,
      () => clock,
    );

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 1_000;
    sent = [];
  });
  afterEach(() => jest.useRealTimers());

  it('sends the first text at once, then batches the rest for the interval', async () => {
    const a = appender();
    await a.push('a');
    expect(sent).toEqual(['a']);
    clock += 50;
    await a.push('b');
    clock += 50;
    await a.push('c');
    expect(sent).toEqual(['a']); // within the interval: buffered
    clock += 150;
    await jest.advanceTimersByTimeAsync(199); // the timer set at 'b' waits 200 ms
    expect(sent).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['a', 'bc']);
    clock += 300;
    await a.push('d'); // the interval has passed: at once
    expect(sent).toEqual(['a', 'bc', 'd']);
  });

  it('flush sends what is left, in order, and nothing twice', async () => {
    const a = appender();
    await a.push('x');
    await a.push('y');
    await a.push('z');
    await a.flush();
    expect(sent).toEqual(['x', 'yz']);
    await jest.advanceTimersByTimeAsync(1_000);
    await a.flush();
    expect(sent).toEqual(['x', 'yz']);
  });

  it('keeps the order even when an earlier send is slow', async () => {
    const order: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const a = new BatchedAppender(
      async (text) => {
        if (text === 'first') await slow;
        order.push(text);
      },
      250,
      () => clock,
    );
    const first = a.push('first');
    clock += 300;
    const second = a.push('second');
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('never rejects when a send fails, and sends the failed text first with the next batch', async () => {
    let down = true;
    const a = new BatchedAppender(
      (text) => {
        if (down) return Promise.reject(new Error('Redis is unavailable'));
        sent.push(text);
        return Promise.resolve();
      },
      250,
      () => clock,
    );
    await expect(a.push('a')).resolves.toBeUndefined(); // failed, kept
    clock += 300;
    await a.push('b'); // failed again: 'a' then 'b' kept, in order
    down = false;
    clock += 300;
    await a.push('c');
    expect(sent).toEqual(['abc']);
    await a.flush();
    expect(sent).toEqual(['abc']);
  });
});
