import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

/**
 * Deletes expired rows now and then, in batches so no run holds locks for long: every `everyMs`,
 * `purgeBatch()` is called until it deletes nothing. A failure is logged and retried next time.
 */
export abstract class Janitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(this.constructor.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  protected constructor(
    /** What is purged, for the log line. */
    private readonly what: string,
    private readonly everyMs = 10 * 60_000,
  ) {}

  /** Deletes one batch of expired rows; resolves how many. */
  protected abstract purgeBatch(): Promise<number>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.purge(), this.everyMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One run: batches until nothing is left. Overlapping runs are skipped. */
  async purge(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let total = 0;
    try {
      for (let deleted = await this.purgeBatch(); deleted > 0; deleted = await this.purgeBatch()) total += deleted;
    } catch (err) {
      this.logger.warn(`Could not purge ${this.what}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.running = false;
    }
    return total;
  }
}
