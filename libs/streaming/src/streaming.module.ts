import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { EVENT_BUS, type EventBus, type EventBusOptions } from './event-bus';
import { InMemoryEventBus } from './in-memory-event-bus';
import { RedisEventBus } from './redis-event-bus';
import { GENERATION_STATE, type GenerationStateStore } from './generation-state';
import { InMemoryGenerationState } from './in-memory-generation-state';
import { RedisGenerationState } from './redis-generation-state';

/** Redis when REDIS_URL is set (any api instance can serve any stream), in-process otherwise. */
export function createEventBus(config: AppConfig): EventBus {
  const options: EventBusOptions = { retentionMs: config.streamRetentionSeconds * 1000 };
  return config.redisUrl
    ? new RedisEventBus({ ...options, url: config.redisUrl, connectionName: 'agents-event-bus' })
    : new InMemoryEventBus(options);
}

/** The generation state beside the bus: Redis when REDIS_URL is set, in-process otherwise; same retention. */
export function createGenerationState(config: AppConfig): GenerationStateStore {
  const retentionMs = config.streamRetentionSeconds * 1000;
  return config.redisUrl
    ? new RedisGenerationState({ retentionMs, url: config.redisUrl, connectionName: 'agents-generation-state' })
    : new InMemoryGenerationState({ retentionMs });
}

/** Closes the generation state's connection on application shutdown, like the bus. */
@Injectable()
export class GenerationStateShutdown implements OnApplicationShutdown {
  constructor(@Inject(GENERATION_STATE) private readonly state: GenerationStateStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.state.close();
  }
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

/** Provides the process's one {@link EventBus} under {@link EVENT_BUS} and its {@link GenerationStateStore} under {@link GENERATION_STATE}. */
@Module({
  providers: [
    { provide: EVENT_BUS, useFactory: createEventBus, inject: [AppConfig] },
    EventBusShutdown,
    { provide: GENERATION_STATE, useFactory: createGenerationState, inject: [AppConfig] },
    GenerationStateShutdown,
  ],
  exports: [EVENT_BUS, GENERATION_STATE],
})
export class StreamingModule {}
