import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ErrorFormatters } from '../errors/http-exception.filter';
import { AppConfig, loadConfig } from './app-config';

/** Provides the validated AppConfig, and the app's error formatters, to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }, ErrorFormatters],
      exports: [AppConfig, ErrorFormatters],
    };
  }
}
