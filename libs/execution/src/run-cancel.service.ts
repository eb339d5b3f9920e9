import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService, runEvent } from '@lib/audit';
import { AccessService, Permission, Principal, Role, IdentityErrorCode, IdentityException } from '@lib/identity';
import { StatusMachineService } from '@lib/state-machine';
import { ExecutionRunRow } from './execution.tables';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { notFound } from './execution-run.service';
import { ExecutionRunRepository } from './repositories/execution-run.repository';
import { RUN_AXIS, RunStatus, WAITING_RUN_STATUSES } from './run-status';

/** Runs a worker holds: asked to stop; the worker's next check (or the reaper) ends them. */
const IN_FLIGHT: readonly RunStatus[] = [RunStatus.Claimed, RunStatus.Running];

/** Runs that were carried out to an end of their own: a cancel for them comes too late. */
const RAN_TO_AN_END: readonly RunStatus[] = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.TimedOut];

/** 409 cancel_too_late: the run ended (how, in details) before the cancel could take effect. */
export function cancelTooLate(run: ExecutionRunRow): ExecutionException {
  return new ExecutionException(ExecutionErrorCode.CancelTooLate, `too late: the run had already ended ${run.status}`, {
    status: run.status,
    finished_at: run.finished_at,
  });
}

/**
 * Cancellation. A run that has not started is cancelled at once; one a worker holds gets a
 * cancel request, which reaches the worker at the commit (NOTIFY execution_run_cancel) and the
 * handler through its AbortSignal (a handler that ignores it is abandoned after a grace period).
 * The request and the run's end serialize on the run's row lock: a request committed first makes
 * the run end CANCELLED (no further step runs, and a finished last step does not make it
 * SUCCEEDED); one that comes after the end is refused 409 cancel_too_late. Locks are released in
 * every case. A requester may cancel only its own runs.
 */
@Injectable()
export class RunCancelService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly fsm: StatusMachineService,
    private readonly runs: ExecutionRunRepository,
  ) {}

  async cancel(principal: Principal, input: { executionId: string; reason: string }, ctx: CommandContext): Promise<ExecutionRunRow> {
    this.access.assertAllowed(principal, Permission.RunCancel);
    return this.uow.run(async () => {
      const run = await this.runs.findById(input.executionId, { lock: true });
      if (!run) throw notFound();
      this.access.assertVisible(principal, Permission.RunCancel, run.project_id, notFound);
      if (!principal.hasRoleOn([Role.Approver, Role.Admin], run.project_id) && run.requested_by !== ctx.actor.id) {
        throw new IdentityException(IdentityErrorCode.Forbidden, 'a requester may cancel only its own runs');
      }
      const status = run.status as RunStatus;
      if (WAITING_RUN_STATUSES.includes(status)) {
        return this.fsm.transition({
          axis: RUN_AXIS,
          id: run.id,
          from: status,
          to: RunStatus.Cancelled,
          set: { blocked_reason: null, cancelled_by: ctx.actor.id, cancelled_at: DbTime.now(), finished_at: DbTime.now() },
          audit: runEvent(AuditEventType.RunStatusChanged, run, ctx, { from: status, to: RunStatus.Cancelled, reason: input.reason }),
        });
      }
      if (RAN_TO_AN_END.includes(status)) throw cancelTooLate(run);
      if (!IN_FLIGHT.includes(status)) {
        throw new ExecutionException(ExecutionErrorCode.RunNotCancellable, `a ${run.status} run cannot be cancelled`, {
          status: run.status,
        });
      }
      if (run.cancel_requested_at) return run;
      const requested = await this.runs.requestCancel({ id: run.id, by: ctx.actor.id, reason: input.reason });
      await this.audit.record(runEvent(AuditEventType.RunCancelRequested, run, ctx, { reason: input.reason, status: run.status }));
      return requested;
    });
  }
}
