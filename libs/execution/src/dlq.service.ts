import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType } from '@lib/audit';
import { AccessService, ALL_PROJECTS, Permission, PolicyService, Principal } from '@lib/governance';
import { ExecutionRunRow } from './execution-run.entity';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { RunStatus } from './run-status';
import { StatusMachineService } from './status-machine.service';

export interface DlqEntry {
  id: string;
  execution_run_id: string;
  project_id: string;
  attempts: number;
  last_error: string;
  created_at: Date;
  redriven_at: Date | null;
  redriven_by: string | null;
}

/** The dead-letter table: runs that spent max_attempts. Listed per project scope; re-driven by an admin. */
@Injectable()
export class DlqService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessService,
    private readonly fsm: StatusMachineService,
    private readonly policy: PolicyService,
  ) {}

  async list(principal: Principal, input: { includeRedriven: boolean; limit: number }): Promise<DlqEntry[]> {
    this.access.assertAllowed(principal, Permission.DlqRead);
    const all = principal.projectIds.includes(ALL_PROJECTS);
    return this.uow.query<DlqEntry>(
      `SELECT * FROM execution_dlq WHERE ($1 OR redriven_at IS NULL) AND ($2 OR project_id = ANY($3)) ORDER BY created_at DESC LIMIT $4`,
      [input.includeRedriven, all, principal.projectIds, input.limit],
    );
  }

  /**
   * Back to the queue with a fresh budget of attempts (attempt numbers keep counting, so every
   * step attempt stays distinct); the entry is kept, marked re-driven.
   */
  async retry(principal: Principal, dlqId: string, ctx: CommandContext): Promise<{ entry: DlqEntry; run: ExecutionRunRow }> {
    this.access.assertAllowed(principal, Permission.DlqRedrive);
    return this.uow.run(async () => {
      const [found] = await this.uow.query<DlqEntry>(`SELECT * FROM execution_dlq WHERE id = $1`, [dlqId]);
      if (!found) throw new ExecutionException(ExecutionErrorCode.DlqEntryNotFound, 'no such dead-letter entry');
      this.access.assertAllowed(principal, Permission.DlqRedrive, found.project_id);
      const [locked] = await this.uow.query<ExecutionRunRow>(`SELECT * FROM execution_runs WHERE id = $1 FOR UPDATE`, [
        found.execution_run_id,
      ]);
      const budget = this.policy.find(locked.action)?.maxAttempts ?? 1;
      const [entry] = await this.uow.query<DlqEntry>(
        `UPDATE execution_dlq SET redriven_at = now(), redriven_by = $2 WHERE id = $1 AND redriven_at IS NULL RETURNING *`,
        [dlqId, ctx.actor.id],
      );
      if (!entry) throw new ExecutionException(ExecutionErrorCode.DlqAlreadyRedriven, 'this entry was already re-driven');
      const run = await this.fsm.transition<ExecutionRunRow>({
        axis: 'run',
        id: found.execution_run_id,
        from: RunStatus.DeadLettered,
        to: RunStatus.Run,
        set: { max_attempts: locked.attempt + budget, available_at: new Date(), finished_at: null },
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
