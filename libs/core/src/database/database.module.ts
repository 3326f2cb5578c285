import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { DatabaseService } from './database.service';
import { EMBEDDED_POSTGRES } from './database.tokens';
import { EmbeddedPostgres } from './embedded-postgres';

/** Makes the embedded server (or null in the distributed mode) injectable. */
@Module({})
class EmbeddedPostgresModule {
  static register(embedded: EmbeddedPostgres | null): DynamicModule {
    return {
      module: EmbeddedPostgresModule,
      providers: [{ provide: EMBEDDED_POSTGRES, useValue: embedded }],
      exports: [EMBEDDED_POSTGRES],
    };
  }
}

/**
 * PostgreSQL through TypeORM in both run modes. The data source is initialised by DatabaseService
 * (not at module construction) so that a database that is down does not stop the process.
 * In the embedded mode the process starts the EmbeddedPostgres first (see startEmbeddedIfNeeded)
 * and hands it in; DatabaseService stops it at shutdown.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(embedded: EmbeddedPostgres | null = null): DynamicModule {
    const embeddedModule = EmbeddedPostgresModule.register(embedded);
    return {
      module: DatabaseModule,
      imports: [
        embeddedModule,
        TypeOrmModule.forRootAsync({
          imports: [embeddedModule],
          inject: [AppConfig, EMBEDDED_POSTGRES],
          useFactory: (config: AppConfig, server: EmbeddedPostgres | null) => ({
            ...dataSourceOptions(config, server?.endpoint),
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
