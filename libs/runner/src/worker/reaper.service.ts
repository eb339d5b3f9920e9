import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType } from '@lib/audit';
import { ExecutionRunRow, RunStatus, StatusMachineService, StepStatus } from '@lib/execution';
import { Ending, RunLifecycleService } from './run-lifecycle.service';

/**
 * Runs whose worker stopped answering: a lease that ran out (the worker died or hangs), or a
 * run past its deadline plus a grace period (the hard time limit, for a worker whose handler
 * ignores its abort). The run's running step is abandoned, its locks are released, and it goes
 * back to the queue with its attempt counted, or to TIMED_OUT, CANCELLED (if a cancel was asked
 * for) or the dead-letter table. Batches use FOR UPDATE SKIP LOCKED.
 */
@Injectable()
export class ReaperService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly fsm: StatusMachineService,
    private readonly lifecycle: RunLifecycleService,
  ) {}

  async reap(input: { limit: number; graceMs: number; backoffBaseMs: number; reaperId: string }): Promise<number> {
    const ctx: CommandContext = { actor: { id: `reaper:${input.reaperId}`, kind: 'system' }, requestId: 'reaper' };
    return this.uow.run(async () => {
      const runs = await this.uow.query<ExecutionRunRow & { past_deadline: boolean }>(
        `SELECT r.*, (r.status = 'RUNNING' AND r.deadline_at + make_interval(secs => $2::double precision / 1000) < now()) AS past_deadline
         FROM execution_runs r
         WHERE r.status IN ('CLAIMED', 'RUNNING')
           AND (r.lease_expires_at < now() OR (r.status = 'RUNNING' AND r.deadline_at + make_interval(secs => $2::double precision / 1000) < now()))
         ORDER BY r.lease_expires_at LIMIT $1
         FOR UPDATE OF r SKIP LOCKED`,
        [input.limit, input.graceMs],
      );
      for (const { past_deadline: pastDeadline, ...run } of runs) {
        const stepStatus = pastDeadline ? StepStatus.TimedOut : run.cancel_requested_at ? StepStatus.Cancelled : StepStatus.Abandoned;
        await this.closeRunningStep(run, stepStatus, ctx);
        const ending: Ending = pastDeadline
          ? { kind: 'timed_out', error: `timed out after ${run.timeout_seconds} s (hard limit; the worker did not stop)` }
          : run.cancel_requested_at && run.status === RunStatus.Running
            ? { kind: 'cancelled', by: run.cancel_requested_by ?? 'system' }
            : { kind: 'retry', error: `worker ${run.worker_id} lost its lease` };
        const from = run.status as RunStatus;
        // A cancel asked of a run that never started ends it cancelled too.
        const finalEnding: Ending =
          run.cancel_requested_at && from === RunStatus.Claimed ? { kind: 'cancelled', by: run.cancel_requested_by ?? 'system' } : ending;
        await this.lifecycle.end(run, { workerId: null, from, ending: finalEnding, backoffBaseMs: input.backoffBaseMs }, ctx);
      }
      return runs.length;
    });
  }

  private async closeRunningStep(run: ExecutionRunRow, to: StepStatus, ctx: CommandContext): Promise<void> {
    const [step] = await this.uow.query<{ id: string; step_index: number }>(
      `SELECT id::text AS id, step_index FROM execution_steps WHERE execution_run_id = $1 AND status = 'running'`,
      [run.id],
    );
    if (!step) return;
    await this.fsm.transition({
      axis: 'step',
      id: step.id,
      from: StepStatus.Running,
      to,
      set: { error: `worker ${run.worker_id} stopped answering`, finished_at: new Date() },
      audit: {
        type: AuditEventType.StepFinished,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { step: step.step_index, status: to, reaped: true },
      },
    });
  }
}
