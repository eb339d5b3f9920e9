import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { SECRET_MASKER, serializeError } from '@lib/common';
import { AppConfig, ConfigModule } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { WebhookSenderModule } from '@lib/notifications';
import { SweeperModule } from '@lib/sweeper';
import { WorkerLoopModule } from '@lib/runner';
import { WorkerMetricsServer } from './worker-metrics.server';

/** A worker process: the sweeper, the execution loop and the webhook sender; no HTTP but its metrics and liveness endpoint (WORKER_METRICS_PORT). */
@Module({})
export class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        // The sink redacts every secret value the worker resolved.
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.values.logLevel,
            autoLogging: false,
            serializers: { err: serializeError },
            hooks: { streamWrite: (line: string) => SECRET_MASKER.mask(line) },
          },
        }),
        DatabaseModule.forRoot(),
        SweeperModule,
        WorkerLoopModule,
        WebhookSenderModule,
      ],
      providers: [WorkerMetricsServer],
    };
  }
}
