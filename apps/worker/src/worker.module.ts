import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, DatabaseModule, LoggingModule, type AppConfig } from '@agents/core';
import { FileIndexingModule } from '@agents/files';
import { GenerationModule } from '@agents/generation';

/** The worker process: no HTTP, no controller; consumes the generation and file-processing queues. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule.forRoot(),
        GenerationModule,
        FileIndexingModule,
      ],
    };
  }
}
