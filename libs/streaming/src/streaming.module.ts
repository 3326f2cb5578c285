import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { EVENT_BUS, type EventBus, type EventBusOptions } from './event-bus';
import { InMemoryEventBus } from './in-memory-event-bus';
import { RedisEventBus } from './redis-event-bus';

/** Redis when REDIS_URL is set (any api instance can serve any stream), in-process otherwise. */
export function createEventBus(config: AppConfig): EventBus {
  const options: EventBusOptions = { retentionMs: config.streamRetentionSeconds * 1000 };
  return config.redisUrl
    ? new RedisEventBus({ ...options, url: config.redisUrl, connectionName: 'agents-event-bus' })
    : new InMemoryEventBus(options);
}

/**
 * Closes the bus on application shutdown, after every module's destroy hook has run, so a worker
 * draining its generations can still publish their terminal events.
 */
@Injectable()
export class EventBusShutdown implements OnApplicationShutdown {
  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/** Provides the process's one {@link EventBus} under {@link EVENT_BUS}. */
@Module({
  providers: [{ provide: EVENT_BUS, useFactory: createEventBus, inject: [AppConfig] }, EventBusShutdown],
  exports: [EVENT_BUS],
})
export class StreamingModule {}
