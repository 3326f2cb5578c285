import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { type AppConfig, ConfigModule } from '@agents/core';
import { EVENT_BUS, type EventBus, EventBusClosedError } from './event-bus';
import { InMemoryEventBus } from './in-memory-event-bus';
import { GENERATION_STATE, type GenerationStateStore } from './generation-state';
import { InMemoryGenerationState } from './in-memory-generation-state';
import { StreamingModule } from './streaming.module';

describe('StreamingModule', () => {
  it('provides the in-process bus without REDIS_URL, with the configured retention, and closes it on shutdown', async () => {
    const config = { redisUrl: undefined, streamRetentionSeconds: 0.2 } as unknown as AppConfig;
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), StreamingModule],
    }).compile();
    const bus = moduleRef.get<EventBus>(EVENT_BUS);
    expect(bus).toBeInstanceOf(InMemoryEventBus);

    await bus.create('s1');
    await bus.publish('s1', { final: true }, { terminal: true });
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await bus.exists('s1')).toBe(false);

    await moduleRef.close();
    await expect(bus.create('s2')).rejects.toBeInstanceOf(EventBusClosedError);
  });

  it('provides the in-process generation state without REDIS_URL, with the stream retention', async () => {
    const config = { redisUrl: undefined, streamRetentionSeconds: 0.2 } as unknown as AppConfig;
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), StreamingModule],
    }).compile();
    const state = moduleRef.get<GenerationStateStore>(GENERATION_STATE);
    expect(state).toBeInstanceOf(InMemoryGenerationState);
    const generation = {
      streamId: 'c1',
      conversationId: 'c1',
      userId: 'u1',
      agentId: 'a1',
      responseMessageId: 'r1',
      userMessageId: 'm1',
    };
    expect(await state.reserve(generation, { maxPerUser: 1 })).toBe('reserved');
    expect(await state.finish('c1', 'completed')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await state.get('c1')).toBeNull();
    await moduleRef.close();
  });
});
