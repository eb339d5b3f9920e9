import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { AppConfig } from '@lib/config';
import { TelemetryModule } from '@lib/telemetry';
import { buildDataSourceOptions } from './data-source';
import { pgConnectionOf } from './pg-connection';
import { PoolMetrics } from './pool-metrics';
import { UnitOfWork } from './unit-of-work';

/**
 * Infrastructure, so global: the DataSource, the CLS context and the transactional plugin.
 * Imported once by each application (beside ConfigModule); every lib then injects UnitOfWork.
 * It brings the (global) TelemetryModule along, and measures its pool there.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TelemetryModule,
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) =>
            buildDataSourceOptions({ connection: pgConnectionOf(config), poolSize: config.values.dbPoolSize }),
        }),
        ClsModule.forRoot({
          global: true,
          plugins: [
            new ClsPluginTransactional({
              imports: [TypeOrmModule],
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
      ],
      providers: [UnitOfWork, PoolMetrics],
      exports: [UnitOfWork],
    };
  }
}
