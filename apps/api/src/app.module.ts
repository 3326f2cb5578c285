import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AgentsModule } from '@agents/agents';
import { AuthModule } from '@agents/auth';
import { ChatModule } from '@agents/chat';
import { ConfigModule, DatabaseModule, LoggingModule, type AppConfig, type EmbeddedPostgres } from '@agents/core';
import { OpenAICompatModule } from '@agents/openai-compat';
import { HealthController } from './health.controller';
import { RedisHealth } from './redis-health';

/** The HTTP process: REST routes, Swagger UI, health. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, embedded: EmbeddedPostgres | null = null): DynamicModule {
    const chat = ChatModule.forRoot({ consumeJobs: !config.redisUrl }); // the in-process queue has no other consumer
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule.forRoot(embedded),
        TerminusModule.forRoot({ logger: false }),
        AuthModule,
        AgentsModule,
        chat,
        OpenAICompatModule.forRoot(chat), // shares chat's queue
      ],
      controllers: [HealthController],
      providers: [RedisHealth],
    };
  }
}
