import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { IdentityModule } from '@lib/identity';
import { PolicyModule } from '@lib/policy';
import { ExecutionModule } from '@lib/execution';
import { StateMachineModule } from '@lib/state-machine';
import { ApprovalRepository } from './approval.repository';
import { ApprovalClosureService } from './approval-closure.service';
import { ApprovalDeferralService } from './approval-deferral.service';
import { ApprovalExpiryService } from './approval-expiry.service';
import { ApprovalGateGuard } from './approval-gate.guard';
import { ApprovalGateService } from './approval-gate.service';
import { ApprovalLaneService } from './approval-lane.service';
import { ApprovalVoteService } from './approval-vote.service';
import { DecisionSupportService } from './decision-support.service';
import { PlanChangeService } from './plan-change.service';
import { RunViewService } from './run-view.service';
import { ApprovalInboxService } from './approval-inbox.service';
import { RunReviewService } from './run-review.service';

const SERVICES = [
  ApprovalLaneService,
  ApprovalClosureService,
  ApprovalExpiryService,
  DecisionSupportService,
  ApprovalVoteService,
  ApprovalDeferralService,
  PlanChangeService,
  ApprovalGateService,
  ApprovalGateGuard,
  RunViewService,
  ApprovalInboxService,
  RunReviewService,
];

/** Approvals: lanes, votes, deferral, expiry, plan binding, the approval gate and a run's view with its approval. */
@Module({
  imports: [AuditModule, IdentityModule, PolicyModule, StateMachineModule, ExecutionModule],
  providers: [...SERVICES, ApprovalRepository],
  exports: SERVICES,
})
export class ApprovalModule {}
