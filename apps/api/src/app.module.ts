import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { DatabaseModule } from '@lib/database';
import { AuditModule } from '@lib/audit';
import { AuthGuard, GovernanceModule } from '@lib/governance';
import { ExecutionModule } from '@lib/execution';
import { ApprovalModule } from '@lib/approval';
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
  ],
  controllers: [HealthController],
  providers: [BootstrapAdminService, { provide: APP_GUARD, useExisting: AuthGuard }],
})
export class AppModule {}
