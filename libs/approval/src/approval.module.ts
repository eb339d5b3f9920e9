import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@lib/audit';
import { GovernanceModule } from '@lib/governance';
import { ExecutionModule, RUN_APPROVAL_GATE } from '@lib/execution';
import { ApprovalEntity } from './approval.entity';
import { ApprovalDeferralService } from './approval-deferral.service';
import { ApprovalEvents } from './approval-events';
import { ApprovalExpiryService } from './approval-expiry.service';
import { ApprovalGateGuard } from './approval-gate.guard';
import { ApprovalGateService } from './approval-gate.service';
import { ApprovalLaneService } from './approval-lane.service';
import { ApprovalVoteService } from './approval-vote.service';
import { ApprovalsController } from './approvals.controller';
import { DecisionSupportService } from './decision-support.service';
import { PlanChangeService } from './plan-change.service';
import { PlanController } from './plan.controller';

const SERVICES = [
  ApprovalLaneService,
  ApprovalExpiryService,
  DecisionSupportService,
  ApprovalVoteService,
  ApprovalDeferralService,
  PlanChangeService,
  ApprovalGateService,
  ApprovalGateGuard,
  ApprovalEvents,
];

/**
 * Approvals: lanes, votes, deferral, expiry, plan binding and the approval gate. Global only so
 * that the execution lib's RUN_APPROVAL_GATE port is satisfied here without execution importing
 * this module (which would be a cycle).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ApprovalEntity]), AuditModule, GovernanceModule, ExecutionModule],
  controllers: [ApprovalsController, PlanController],
  providers: [...SERVICES, { provide: RUN_APPROVAL_GATE, useExisting: ApprovalLaneService }],
  exports: [...SERVICES, RUN_APPROVAL_GATE],
})
export class ApprovalModule {}
