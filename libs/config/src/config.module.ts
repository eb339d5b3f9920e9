import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { loadConfig } from './load-config';

/**
 * Infrastructure, so global: every lib injects AppConfig. An application passes the config it
 * already loaded (main, which may have started an embedded database); otherwise the environment
 * is read when the module is built.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useFactory: () => config ?? loadConfig(process.env) }],
      exports: [AppConfig],
    };
  }
}
