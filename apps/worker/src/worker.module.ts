import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, DatabaseModule, LoggingModule, type AppConfig } from '@agents/core';

/** The worker process: no HTTP. Generation processors register here (chat issue). */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), LoggingModule, DatabaseModule.forRoot()],
    };
  }
}
