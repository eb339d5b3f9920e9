import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { StateMachineErrorCode, StateMachineException, StatusMachineService } from '@lib/state-machine';
import { ExecutionRunRow } from '../execution.tables';
import { DeadLetterRepository } from '../repositories/dead-letter.repository';
import { ExecutionRunRepository } from '../repositories/execution-run.repository';
import { backoffMs, capResult, mask } from '../run-result';
import { BlockedReason, RUN_AXIS, RunStatus } from '../run-status';
import { statusEvent } from './run-queue.service';

export type Ending =
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'failed'; error: string }
  | { kind: 'timed_out'; error: string }
  | { kind: 'cancelled'; by: string; instead?: 'succeeded' | 'failed' | 'retry' }
  | { kind: 'retry'; error: string };

const FINAL = {
  succeeded: RunStatus.Succeeded,
  failed: RunStatus.Failed,
  timed_out: RunStatus.TimedOut,
  cancelled: RunStatus.Cancelled,
} as const;

/**
 * The run's execution transitions, each a compare-and-set on (status, worker_id) so a worker
 * that lost its lease can never finish a run someone else now holds. Every ending releases the
 * run's locks in the same transaction. A retryable failure goes back to the queue with backoff
 * and jitter, or to the dead-letter table once max_attempts is spent. Times are the database's.
 */
@Injectable()
export class RunLifecycleService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly fsm: StatusMachineService,
    private readonly runs: ExecutionRunRepository,
    private readonly deadLetters: DeadLetterRepository,
  ) {}

  /**
   * Ends the attempt (`workerId` null: the reaper ends it for a worker that stopped answering).
   * A cancel request committed before the ending wins over success, failure and retry; only a
   * timeout, which happened first, keeps its own ending. The worker's ending is a compare-and-set
   * that also expects no cancel request, so the usual end reads nothing first; when it finds one
   * (or the reaper ends the run), the run is read under its lock and ends CANCELLED. Either way a
   * cancel is seen here, or comes after the end and is told it is too late. The run's target
   * locks go with it (the database releases them when it leaves RUNNING).
   */
  async end(
    run: ExecutionRunRow,
    input: { workerId: string | null; from: RunStatus; ending: Ending; backoffBaseMs: number },
    ctx: CommandContext,
  ): Promise<ExecutionRunRow> {
    return this.uow.run(async () => {
      const cancellable = input.ending.kind !== 'cancelled' && input.ending.kind !== 'timed_out';
      if (cancellable && input.workerId !== null) {
        try {
          return await this.apply(run, input, ctx, { noCancel: true });
        } catch (error) {
          if (!(error instanceof StateMachineException && error.code === StateMachineErrorCode.TransitionConflict)) throw error;
        }
      }
      const current = await this.runs.findById(run.id, { lock: true });
      const ending: Ending =
        current?.cancel_requested_at && cancellable
          ? {
              kind: 'cancelled',
              by: current.cancel_requested_by ?? 'system',
              instead: input.ending.kind as 'succeeded' | 'failed' | 'retry',
            }
          : input.ending;
      return this.apply(run, { ...input, ending }, ctx, { noCancel: false });
    });
  }

  /**
   * Several runs this worker holds end SUCCEEDED, FAILED or TIMED_OUT, one statement per kind,
   * each a compare-and-set that also expects no cancel request. Throws when one could not end so
   * (a cancel request came first, the lease is gone): the caller ends them again one by one.
   */
  async endMany(
    ends: ReadonlyArray<{
      run: ExecutionRunRow;
      ending: Extract<Ending, { kind: 'succeeded' | 'failed' | 'timed_out' }>;
      ctx: CommandContext;
    }>,
    input: { workerId: string },
  ): Promise<ExecutionRunRow[]> {
    return this.uow.run(async () => {
      const ended = new Map<string, ExecutionRunRow>();
      for (const kind of ['succeeded', 'failed', 'timed_out'] as const) {
        const group = ends.filter((end) => end.ending.kind === kind);
        if (group.length === 0) continue;
        const to = FINAL[kind];
        const { moved, missed } = await this.fsm.transitionMany({
          axis: RUN_AXIS,
          from: RunStatus.Running,
          to,
          expect: { worker_id: input.workerId, cancel_requested_at: null },
          rows: group.map(({ run, ending, ctx }) => ({
            id: run.id,
            set: {
              worker_id: null,
              lease_expires_at: null,
              finished_at: DbTime.now(),
              ...(ending.kind === 'succeeded' ? { result: JSON.stringify(capResult(ending.result)) } : { last_error: mask(ending.error) }),
            },
            audit: statusEvent(run, RunStatus.Running, to, ctx, ending.kind === 'succeeded' ? {} : { detail: mask(ending.error) }),
          })),
        });
        if (missed.length > 0) {
          throw new StateMachineException(StateMachineErrorCode.TransitionConflict, `runs ${missed.join(', ')} could not end as asked`);
        }
        for (const row of moved) ended.set(row.id, row);
      }
      return ends.map((end) => ended.get(end.run.id) as ExecutionRunRow);
    });
  }

  private async apply(
    run: ExecutionRunRow,
    input: { workerId: string | null; from: RunStatus; ending: Ending; backoffBaseMs: number },
    ctx: CommandContext,
    options: { noCancel: boolean },
  ): Promise<ExecutionRunRow> {
    const { from, ending } = input;
    const expect = {
      ...(input.workerId === null ? {} : { worker_id: input.workerId }),
      ...(options.noCancel ? { cancel_requested_at: null } : {}),
    };
    const released = { worker_id: null, lease_expires_at: null };
    if (ending.kind === 'retry' && run.attempt < run.max_attempts) {
      const delay = backoffMs(run.attempt, input.backoffBaseMs);
      return this.fsm.transition({
        axis: RUN_AXIS,
        id: run.id,
        from,
        to: RunStatus.Run,
        set: { ...released, available_at: DbTime.inMs(delay), last_error: mask(ending.error) },
        expect,
        audit: statusEvent(run, from, RunStatus.Run, ctx, {
          reason: 'retry',
          attempt: run.attempt,
          retry_in_ms: delay,
          error: mask(ending.error),
        }),
      });
    }
    if (ending.kind === 'retry') {
      const moved = await this.fsm.transition({
        axis: RUN_AXIS,
        id: run.id,
        from,
        to: RunStatus.DeadLettered,
        set: { ...released, finished_at: DbTime.now(), last_error: mask(ending.error) },
        expect,
        audit: statusEvent(run, from, RunStatus.DeadLettered, ctx, { attempts: run.attempt, error: mask(ending.error) }),
      });
      await this.deadLetters.insert({
        runId: run.id,
        projectId: run.project_id,
        attempts: Math.max(1, run.attempt),
        lastError: mask(ending.error),
      });
      return moved;
    }
    const to = FINAL[ending.kind];
    const set: Record<string, unknown> = { ...released, finished_at: DbTime.now() };
    if (ending.kind === 'succeeded') set.result = JSON.stringify(capResult(ending.result));
    if (ending.kind === 'failed' || ending.kind === 'timed_out') set.last_error = mask(ending.error);
    if (ending.kind === 'cancelled') Object.assign(set, { cancelled_by: ending.by, cancelled_at: DbTime.now() });
    return this.fsm.transition({
      axis: RUN_AXIS,
      id: run.id,
      from,
      to,
      set,
      expect,
      audit: statusEvent(
        run,
        from,
        to,
        ctx,
        ending.kind === 'succeeded'
          ? {}
          : ending.kind === 'cancelled' && ending.instead
            ? { detail: 'cancelled', cancel_before: ending.instead }
            : { detail: 'error' in ending ? mask(ending.error) : ending.kind },
      ),
    });
  }

  /**
   * Level 3: before the next step the run goes back to BLOCKED (step_approval_pending), its locks
   * released. The resumed attempt gets a budget of its own (max_attempts grows by one), so steps
   * do not use up retries. The caller closes the approval it ran under and opens the next one.
   * A cancel requested meanwhile ends the run CANCELLED instead (the caller opens no lane then).
   */
  async pauseForStepApproval(
    run: ExecutionRunRow,
    input: { workerId: string; stepIndex: number },
    ctx: CommandContext,
  ): Promise<ExecutionRunRow> {
    return this.uow.run(async () => {
      const current = await this.runs.findById(run.id, { lock: true });
      if (current?.cancel_requested_at) {
        const ending: Ending = { kind: 'cancelled', by: current.cancel_requested_by ?? 'system' };
        return this.end(run, { workerId: input.workerId, from: RunStatus.Running, ending, backoffBaseMs: 0 }, ctx);
      }
      return this.fsm.transition({
        axis: RUN_AXIS,
        id: run.id,
        from: RunStatus.Running,
        to: RunStatus.Blocked,
        set: {
          worker_id: null,
          lease_expires_at: null,
          blocked_reason: BlockedReason.StepApprovalPending,
          max_attempts: run.max_attempts + 1,
        },
        expect: { worker_id: input.workerId },
        audit: statusEvent(run, RunStatus.Running, RunStatus.Blocked, ctx, { reason: 'step_approval', step: input.stepIndex }),
      });
    });
  }
}
