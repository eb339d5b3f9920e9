import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { IdentityModule } from '@lib/identity';
import { PolicyModule } from '@lib/policy';
import { StateMachineModule } from '@lib/state-machine';
import { DlqService } from './dlq.service';
import { ExecutionRunService } from './execution-run.service';
import { ExecutionStatisticsService } from './execution-statistics.service';
import { DeadLetterRepository } from './repositories/dead-letter.repository';
import { ExecutionRunRepository } from './repositories/execution-run.repository';
import { ExecutionStepRepository } from './repositories/execution-step.repository';
import { RunLockRepository } from './repositories/run-lock.repository';
import { RunCancelService } from './run-cancel.service';
import { RunRetentionService } from './run-retention.service';
import { CancelWatchService } from './worker/cancel-watch.service';
import { ExecutionStepService } from './worker/execution-step.service';
import { ReaperService } from './worker/reaper.service';
import { RunLifecycleService } from './worker/run-lifecycle.service';
import { RunQueueService } from './worker/run-queue.service';

const SERVICES = [
  ExecutionRunService,
  ExecutionStatisticsService,
  RunCancelService,
  RunRetentionService,
  DlqService,
  RunQueueService,
  RunLifecycleService,
  ExecutionStepService,
  ReaperService,
];

/**
 * Runs, their steps, target locks and dead letters: the tables and every statement on them, the
 * queue (claim), the lease, the lifecycle of an attempt and the reaper. It knows nothing of
 * approvals but the approval gate, which it reads through PostgreSQL (approval_gate).
 */
@Module({
  imports: [AuditModule, IdentityModule, PolicyModule, StateMachineModule],
  providers: [...SERVICES, CancelWatchService, ExecutionRunRepository, ExecutionStepRepository, RunLockRepository, DeadLetterRepository],
  exports: SERVICES,
})
export class ExecutionModule {}
