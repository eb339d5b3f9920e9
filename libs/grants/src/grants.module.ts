import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@lib/audit';
import { GovernanceModule } from '@lib/governance';
import { ExecutionModule } from '@lib/execution';
import { ApprovalEvents, ApprovalModule } from '@lib/approval';
import { AuthorizeBuildStepHandler } from './authorize-build-step.handler';
import { GrantEntity } from './grant.entity';
import { GrantReconcilerService } from './grant-reconciler.service';
import { GrantRunLocator } from './grant-run.locator';
import { GrantService } from './grant.service';
import { GrantsController } from './grants.controller';

@Module({
  imports: [TypeOrmModule.forFeature([GrantEntity]), AuditModule, GovernanceModule, ExecutionModule, ApprovalModule],
  controllers: [GrantsController],
  providers: [GrantService, AuthorizeBuildStepHandler, GrantRunLocator, GrantReconcilerService],
  exports: [GrantService, AuthorizeBuildStepHandler, GrantReconcilerService],
})
export class GrantsModule implements OnModuleInit {
  constructor(
    private readonly events: ApprovalEvents,
    private readonly handler: AuthorizeBuildStepHandler,
  ) {}

  /** An approval of an action that mints grants runs the handler right after it commits. */
  onModuleInit(): void {
    this.events.onApproved(async ({ run, approval, actionType, requestId }) => {
      if (actionType.mintsGrant) await this.handler.handle({ run, approval, actionType }, requestId);
    });
  }
}
