import { Injectable, Logger } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';

/** How often each process writes a key's last_used_at at most; lastUsedAt is accurate to this. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Above this many remembered keys, entries older than the resolution are forgotten. */
const MAX_REMEMBERED = 10_000;

/**
 * Records that an API key was used without a database write per request: this process remembers
 * when it last recorded each key and writes at most once a minute per key, fire-and-forget. The
 * UPDATE itself skips a row another process wrote less than a minute ago.
 */
@Injectable()
export class ApiKeyUsageRecorder {
  private readonly logger = new Logger('ApiKeys');
  private readonly recordedAt = new Map<string, number>();

  constructor(private readonly keys: ApiKeysRepository) {}

  /** Notes a use of the key; returns at once (the write, if any, happens in the background). */
  noteUse(keyId: string): void {
    const now = Date.now();
    const last = this.recordedAt.get(keyId);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    this.remember(keyId, now);
    this.keys.recordUse(keyId, new Date(now)).catch((err: unknown) => {
      // Let the next use try again rather than wait out the minute.
      if (this.recordedAt.get(keyId) === now) this.recordedAt.delete(keyId);
      this.logger.warn({ err, keyId }, `Could not record the use of API key ${keyId}`);
    });
  }

  private remember(keyId: string, now: number): void {
    if (this.recordedAt.size >= MAX_REMEMBERED) {
      for (const [id, at] of this.recordedAt) {
        if (now - at >= LAST_USED_RESOLUTION_MS) this.recordedAt.delete(id);
      }
    }
    this.recordedAt.set(keyId, now);
  }
}
