import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditEventType } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/identity';
import { PolicyService } from '@lib/policy';
import { StatusMachineService } from '@lib/state-machine';
import { DlqEntryRow, ExecutionRunRow } from './execution.tables';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { notFound } from './execution-run.service';
import { DeadLetterRepository } from './repositories/dead-letter.repository';
import { ExecutionRunRepository } from './repositories/execution-run.repository';
import { RUN_AXIS, RunStatus } from './run-status';

/** The dead-letter table: runs that spent max_attempts. Listed per project scope; re-driven by an admin. */
@Injectable()
export class DlqService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessService,
    private readonly fsm: StatusMachineService,
    private readonly policy: PolicyService,
    private readonly deadLetters: DeadLetterRepository,
    private readonly runs: ExecutionRunRepository,
  ) {}

  list(principal: Principal, input: { includeRedriven: boolean; limit: number }): Promise<DlqEntryRow[]> {
    this.access.assertAllowed(principal, Permission.DlqRead);
    const projectIds = principal.projectsWith(Permission.DlqRead);
    return this.deadLetters.list({ includeRedriven: input.includeRedriven, projectIds, limit: input.limit });
  }

  /**
   * Back to the queue with a fresh budget of attempts (attempt numbers keep counting, so every
   * step attempt stays distinct); the entry is kept, marked re-driven.
   */
  async retry(principal: Principal, dlqId: string, ctx: CommandContext): Promise<{ entry: DlqEntryRow; run: ExecutionRunRow }> {
    this.access.assertAllowed(principal, Permission.DlqRedrive);
    return this.uow.run(async () => {
      const found = await this.deadLetters.findById(dlqId);
      if (!found) throw dlqNotFound();
      this.access.assertVisible(principal, Permission.DlqRedrive, found.project_id, dlqNotFound);
      const locked = await this.runs.findById(found.execution_run_id, { lock: true });
      if (!locked) throw notFound();
      const budget = this.policy.find(locked.action)?.maxAttempts ?? 1;
      const entry = await this.deadLetters.markRedriven(dlqId, ctx.actor.id);
      if (!entry) throw new ExecutionException(ExecutionErrorCode.DlqAlreadyRedriven, 'this entry was already re-driven');
      const run = await this.fsm.transition({
        axis: RUN_AXIS,
        id: found.execution_run_id,
        from: RunStatus.DeadLettered,
        to: RunStatus.Run,
        set: { max_attempts: locked.attempt + budget, available_at: DbTime.now(), finished_at: null },
        audit: {
          type: AuditEventType.RunRedriven,
          ctx,
          projectId: found.project_id,
          executionRunId: found.execution_run_id,
          data: { dlq_id: dlqId, attempts: found.attempts },
        },
      });
      return { entry, run };
    });
  }
}

function dlqNotFound(): ExecutionException {
  return new ExecutionException(ExecutionErrorCode.DlqEntryNotFound, 'no such dead-letter entry');
}
