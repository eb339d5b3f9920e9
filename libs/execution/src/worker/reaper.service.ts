import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { MetricsService } from '@lib/telemetry';
import { ExecutionRunRow } from '../execution.tables';
import { ExecutionRunRepository } from '../repositories/execution-run.repository';
import { RunStatus, StepStatus } from '../run-status';
import { ExecutionStepService } from './execution-step.service';
import { Ending, RunLifecycleService } from './run-lifecycle.service';

/**
 * Runs whose worker stopped answering: a lease that ran out (the worker died or hangs), or a
 * run past its deadline plus a grace period (the hard time limit, for a worker whose handler
 * ignores its abort), both measured by the database clock. The run's running step is
 * abandoned, its locks are released, and it goes back to the queue with its attempt counted, or
 * to TIMED_OUT, CANCELLED (if a cancel was asked for) or the dead-letter table. Batches use
 * FOR UPDATE SKIP LOCKED.
 */
@Injectable()
export class ReaperService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly runs: ExecutionRunRepository,
    private readonly steps: ExecutionStepService,
    private readonly lifecycle: RunLifecycleService,
    private readonly metrics: MetricsService,
  ) {}

  /** `onEnded` runs in the same transaction for each run the reaper ended (its approval ends with it). */
  async reap(
    input: { limit: number; graceMs: number; backoffBaseMs: number; reaperId: string },
    onEnded: (run: ExecutionRunRow, ctx: CommandContext) => Promise<unknown> = () => Promise.resolve(),
  ): Promise<number> {
    const ctx: CommandContext = { actor: { id: `reaper:${input.reaperId}`, kind: 'system' }, requestId: 'reaper' };
    const reaped = await this.uow.run(async () => {
      const runs = await this.runs.lockUnanswered({ limit: input.limit, graceMs: input.graceMs });
      for (const { past_deadline: pastDeadline, ...run } of runs) {
        const from = run.status as RunStatus;
        await this.steps.closeRunning(
          run,
          { to: pastDeadline ? StepStatus.TimedOut : run.cancel_requested_at ? StepStatus.Cancelled : StepStatus.Abandoned },
          ctx,
        );
        const cancelledBy = run.cancel_requested_by ?? 'system';
        // A cancel asked of a run that never started, or of a running one, ends it cancelled.
        const ending: Ending = pastDeadline
          ? { kind: 'timed_out', error: `timed out after ${run.timeout_seconds} s (hard limit; the worker did not stop)` }
          : run.cancel_requested_at
            ? { kind: 'cancelled', by: cancelledBy }
            : { kind: 'retry', error: `worker ${run.worker_id} lost its lease` };
        await onEnded(await this.lifecycle.end(run, { workerId: null, from, ending, backoffBaseMs: input.backoffBaseMs }, ctx), ctx);
      }
      return runs;
    });
    // Counted once the transaction committed (a retried attempt is not counted twice).
    const pastDeadline = reaped.filter((run) => run.past_deadline).length;
    this.metrics.recordReaps('deadline', pastDeadline);
    this.metrics.recordReaps('lease_expired', reaped.length - pastDeadline);
    return reaped.length;
  }
}
