import { Inject, Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, GovernanceErrorCode, GovernanceException, Permission, Principal, Role } from '@lib/governance';
import { ExecutionRunRow } from './execution-run.entity';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { ExecutionRunService, RunView } from './execution-run.service';
import { RUN_APPROVAL_GATE, RunApprovalGate } from './run-approval-gate';
import { RunStatus } from './run-status';
import { StatusMachineService } from './status-machine.service';

/** Runs that have not started: cancelled at once. */
const NOT_STARTED = [RunStatus.Blocked, RunStatus.Run];
/** Runs a worker holds: asked to stop; the worker's next check (or the reaper) ends them. */
const IN_FLIGHT = [RunStatus.Claimed, RunStatus.Running];

/**
 * Cancellation. A run that has not started is cancelled at once; one a worker holds gets a
 * cancel request, which the worker sees at its next heartbeat and passes to the handler through
 * its AbortSignal (a handler that ignores it is abandoned after a grace period). Locks are
 * released in every case. A requester may cancel only its own runs.
 */
@Injectable()
export class RunCancelService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly runs: ExecutionRunService,
    private readonly fsm: StatusMachineService,
    @Inject(RUN_APPROVAL_GATE) private readonly gate: RunApprovalGate,
  ) {}

  async cancel(principal: Principal, input: { executionId: string; reason: string }, ctx: CommandContext): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.RunCancel);
    const run = await this.cancelRun(principal, input, ctx);
    return { run, approval: await this.gate.currentFor(run.id) };
  }

  private async cancelRun(
    principal: Principal,
    input: { executionId: string; reason: string },
    ctx: CommandContext,
  ): Promise<ExecutionRunRow> {
    return this.uow.run(async () => {
      const run = await this.runs.getRunOrFail(input.executionId, { lock: true });
      this.access.assertAllowed(principal, Permission.RunCancel, run.project_id);
      if (!principal.hasAnyRole([Role.Approver, Role.Admin]) && run.requested_by !== ctx.actor.id) {
        throw new GovernanceException(GovernanceErrorCode.Forbidden, 'a requester may cancel only its own runs');
      }
      const status = run.status as RunStatus;
      if (NOT_STARTED.includes(status)) {
        await this.uow.query(`DELETE FROM execution_locks WHERE execution_run_id = $1`, [run.id]);
        return this.fsm.transition<ExecutionRunRow>({
          axis: 'run',
          id: run.id,
          from: status,
          to: RunStatus.Cancelled,
          set: { blocked_reason: null, cancelled_by: ctx.actor.id, cancelled_at: new Date(), finished_at: new Date() },
          audit: {
            type: AuditEventType.RunStatusChanged,
            ctx,
            projectId: run.project_id,
            executionRunId: run.id,
            data: { from: status, to: RunStatus.Cancelled, reason: input.reason },
          },
        });
      }
      if (!IN_FLIGHT.includes(status)) {
        throw new ExecutionException(ExecutionErrorCode.RunNotCancellable, `a ${run.status} run cannot be cancelled`, {
          status: run.status,
        });
      }
      if (run.cancel_requested_at) return run;
      const [requested] = await this.uow.query<ExecutionRunRow>(
        `UPDATE execution_runs SET cancel_requested_at = now(), cancel_requested_by = $2, cancel_reason = $3, version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [run.id, ctx.actor.id, input.reason],
      );
      await this.audit.record({
        type: AuditEventType.RunCancelRequested,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { reason: input.reason, status: run.status },
      });
      return requested;
    });
  }
}
