import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { DatabaseModule } from '@lib/database';
import { AuditModule } from '@lib/audit';
import { AuthGuard, GovernanceModule } from '@lib/governance';
import { ExecutionModule } from '@lib/execution';
import { ApprovalModule } from '@lib/approval';
import { GrantsModule } from '@lib/grants';
import { SweeperModule } from '@lib/sweeper';
import { RunnerModule, WorkerLoopModule } from '@lib/runner';
import { BootstrapAdminService } from './bootstrap-admin.service';
import { HealthController } from './health.controller';
import { loggerOptions } from './logger.options';

@Module({
  imports: [
    LoggerModule.forRoot(loggerOptions()),
    DatabaseModule.forRoot(),
    TerminusModule,
    AuditModule,
    GovernanceModule,
    ExecutionModule,
    ApprovalModule,
    GrantsModule,
    RunnerModule,
  ],
  controllers: [HealthController],
  providers: [BootstrapAdminService, { provide: APP_GUARD, useExisting: AuthGuard }],
})
export class AppModule {
  /** With `withWorker`, the worker (sweeper and execution runner) runs in this process too (the embedded default of npm start). */
  static register(options: { withWorker?: boolean } = {}): DynamicModule {
    return { module: AppModule, imports: options.withWorker ? [SweeperModule, WorkerLoopModule] : [] };
  }
}
