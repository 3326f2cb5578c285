import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig, settlesWithin } from '@agents/core';

const PING_TIMEOUT_MS = 1_500;

/**
 * Answers "is Redis reachable" for the readiness probe, on a connection of its own that never
 * queues commands while disconnected, so a probe fails fast instead of hanging.
 */
@Injectable()
export class RedisHealth implements OnApplicationShutdown {
  private client?: Redis;

  constructor(private readonly config: AppConfig) {}

  get configured(): boolean {
    return this.config.redisUrl !== undefined;
  }

  async isUp(): Promise<boolean> {
    if (!this.config.redisUrl) return true;
    if (!this.client) {
      this.client = new Redis(this.config.redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: PING_TIMEOUT_MS,
        connectionName: 'agents-health',
        retryStrategy: () => null, // each probe connects again if it must; no background reconnect loop
      });
      this.client.on('error', () => undefined); // reported through isUp(), not as unhandled events
    }
    try {
      if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect();
      const ping = this.client.ping();
      return (await settlesWithin(ping, PING_TIMEOUT_MS)) && (await ping) === 'PONG';
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client?.status === 'ready') await this.client.quit().catch(() => undefined);
    this.client?.disconnect();
  }
}
