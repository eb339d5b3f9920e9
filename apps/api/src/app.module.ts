import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig, ConfigModule } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { AuthGuard, IdentityModule } from '@lib/identity';
import { PolicyModule } from '@lib/policy';
import { GrantsModule } from '@lib/grants';
import { NotificationsModule, WebhookSenderModule } from '@lib/notifications';
import { OrchestrationModule } from '@lib/orchestration';
import { SweeperModule } from '@lib/sweeper';
import { RemoteWorkersModule, WorkerLoopModule } from '@lib/runner';
import { BootstrapAdminService } from './bootstrap-admin.service';
import { HealthController } from './health.controller';
import { loggerOptions } from './logger.options';

export interface AppModuleOptions {
  /** The configuration already loaded (main); otherwise the environment is read. */
  readonly config?: AppConfig;
  /** Run the worker (sweeper and execution runner) in this process too (the embedded default of npm start). */
  readonly withWorker?: boolean;
}

/** The HTTP application: every route module, the global deny-by-default guard, health and the bootstrap admin key. */
@Module({})
export class AppModule {
  static register(options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerOptions }),
        DatabaseModule.forRoot(),
        TerminusModule,
        IdentityModule,
        PolicyModule,
        GrantsModule,
        OrchestrationModule,
        NotificationsModule,
        RemoteWorkersModule,
        ...(options.withWorker ? [SweeperModule, WorkerLoopModule, WebhookSenderModule] : []),
      ],
      controllers: [HealthController],
      providers: [BootstrapAdminService, { provide: APP_GUARD, useExisting: AuthGuard }],
    };
  }
}
