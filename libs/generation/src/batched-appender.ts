/**
 * Batches the answer's text on its way to the generation state (what `GET /chat/status` reads), so
 * a generation costs one state write per interval instead of one per token. The first text goes at
 * once; later text at most every `intervalMs`; `flush()` sends what is left, in order. Sending is
 * best effort: the status is a convenience, and a failed send must not fail the generation.
 */
export class BatchedAppender {
  private buffer = '';
  private lastSentAt = -Infinity;
  private timer?: NodeJS.Timeout;
  /** Sends are chained so that text reaches the store in the order it was produced. */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly send: (text: string) => Promise<unknown>,
    private readonly intervalMs = 250,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Adds text; resolves once it is sent when it goes at once, else immediately (it is sent later). */
  push(text: string): Promise<void> {
    this.buffer += text;
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0) return this.flush();
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), wait);
      this.timer.unref();
    }
    return Promise.resolve();
  }

  /** Sends whatever is buffered and resolves once everything pushed so far has been sent. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer) {
      const text = this.buffer;
      this.buffer = '';
      this.lastSentAt = this.now();
      // A failed send (Redis down) keeps its text at the front of the buffer for the next one.
      this.sending = this.sending
        .then(() => this.send(text))
        .then(
          () => undefined,
          () => {
            this.buffer = text + this.buffer;
          },
        );
    }
    return this.sending.then(() => undefined);
  }
}
