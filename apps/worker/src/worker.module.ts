import { Module, type DynamicModule } from '@nestjs/common';
import { ChatModule } from '@agents/chat';
import { ConfigModule, DatabaseModule, LoggingModule, type AppConfig } from '@agents/core';

/** The worker process: no HTTP; consumes the generation queue. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule.forRoot(),
        ChatModule.forRoot({ consumeJobs: true }),
      ],
    };
  }
}
