import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { IdentityModule } from '@lib/identity';
import { PolicyModule } from '@lib/policy';
import { ExecutionModule } from '@lib/execution';
import { StateMachineModule } from '@lib/state-machine';
import { ApprovalModule } from '@lib/approval';
import { AuthorizeBuildStepHandler } from './authorize-build-step.handler';
import { GrantReconcilerService } from './grant-reconciler.service';
import { GrantRepository } from './grant.repository';
import { GrantRunLocator } from './grant-run.locator';
import { GrantService } from './grant.service';
import { GrantsController } from './grants.controller';

/** Single-use build authorizations (seed 004): the handler that mints them, their use, revocation, expiry and re-drive. */
@Module({
  imports: [AuditModule, IdentityModule, PolicyModule, StateMachineModule, ExecutionModule, ApprovalModule],
  controllers: [GrantsController],
  providers: [GrantRepository, GrantService, AuthorizeBuildStepHandler, GrantRunLocator, GrantReconcilerService],
  exports: [GrantService, AuthorizeBuildStepHandler, GrantReconcilerService],
})
export class GrantsModule {}
