import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { DatabaseService } from './database.service';
import { EMBEDDED_POSTGRES } from './database.tokens';
import { EmbeddedPostgres } from './embedded-postgres';

@Module({
  providers: [
    {
      provide: EMBEDDED_POSTGRES,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => (config.mode === 'embedded' ? new EmbeddedPostgres(config.dataDir) : null),
    },
  ],
  exports: [EMBEDDED_POSTGRES],
})
class EmbeddedPostgresModule {}

/**
 * PostgreSQL through TypeORM in both run modes. The data source is initialised by DatabaseService
 * (not at module construction) so that a database that is down does not stop the process.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        EmbeddedPostgresModule,
        TypeOrmModule.forRootAsync({
          imports: [EmbeddedPostgresModule],
          inject: [AppConfig, EMBEDDED_POSTGRES],
          useFactory: async (config: AppConfig, embedded: EmbeddedPostgres | null) => ({
            ...dataSourceOptions(config, embedded ? await embedded.start() : undefined),
            autoLoadEntities: true,
            manualInitialization: true,
          }),
        }),
      ],
      providers: [DatabaseService],
      exports: [DatabaseService],
    };
  }
}
