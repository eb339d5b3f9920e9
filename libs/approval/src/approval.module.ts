import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@lib/audit';
import { GovernanceModule } from '@lib/governance';
import { ExecutionModule, RUN_APPROVAL_GATE } from '@lib/execution';
import { ApprovalDecisionService } from './approval-decision.service';
import { ApprovalEntity } from './approval.entity';
import { ApprovalLaneService } from './approval-lane.service';
import { ApprovalsController } from './approvals.controller';

/**
 * Approvals and their decisions. Global only so that the execution lib's RUN_APPROVAL_GATE
 * port can be satisfied here without execution importing this module (which would be a cycle).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ApprovalEntity]), AuditModule, GovernanceModule, ExecutionModule],
  controllers: [ApprovalsController],
  providers: [ApprovalLaneService, ApprovalDecisionService, { provide: RUN_APPROVAL_GATE, useExisting: ApprovalLaneService }],
  exports: [RUN_APPROVAL_GATE, ApprovalLaneService, ApprovalDecisionService],
})
export class ApprovalModule {}
