import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AgentsModule } from '@agents/agents';
import { AuthModule } from '@agents/auth';
import { ChatModule } from '@agents/chat';
import { ConfigModule, DatabaseModule, LoggingModule, type AppConfig, type EmbeddedPostgres } from '@agents/core';
import { FileIndexingModule, FilesModule } from '@agents/files';
import { GenerationModule } from '@agents/generation';
import { OpenAICompatModule } from '@agents/openai-compat';
import { UsageModule } from '@agents/usage';
import { HealthController } from './health.controller';
import { RedisHealth } from './redis-health';

/**
 * The HTTP process: REST routes, Swagger UI, health. In the embedded mode (no REDIS_URL) it runs
 * the generations and indexes the files too — the in-process queues have no other consumer; a
 * distributed api never builds the worker side, so no provider client exists in it.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, embedded: EmbeddedPostgres | null = null): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule.forRoot(embedded),
        TerminusModule.forRoot({ logger: false }),
        AuthModule,
        AgentsModule,
        FilesModule,
        ChatModule,
        OpenAICompatModule,
        UsageModule,
        ...(config.redisUrl ? [] : [GenerationModule, FileIndexingModule]),
      ],
      controllers: [HealthController],
      providers: [RedisHealth],
    };
  }
}
