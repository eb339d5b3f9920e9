import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditRecordInput, AuditService, runEvent } from '@lib/audit';
import { StatusMachineService } from '@lib/state-machine';
import { MetricsService } from '@lib/telemetry';
import { ExecutionRunRow, ExecutionStepRow } from '../execution.tables';
import { ExecutionRunRepository, HeldLease } from '../repositories/execution-run.repository';
import { ExecutionStepRepository } from '../repositories/execution-step.repository';
import { RunLockRepository } from '../repositories/run-lock.repository';
import { STEP_AXIS, StepStatus } from '../run-status';
import { CancelWatchService } from './cancel-watch.service';
import { LeaseKeeper } from './lease-keeper';

/**
 * A run's steps as its worker records them: each is written as it starts and as it ends, in
 * its own transaction under the run's row lock (which also orders the run's audit chain).
 */
@Injectable()
export class ExecutionStepService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly fsm: StatusMachineService,
    private readonly runs: ExecutionRunRepository,
    private readonly steps: ExecutionStepRepository,
    private readonly locks: RunLockRepository,
    private readonly cancelWatch: CancelWatchService,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * The lease of a run this worker just started; the timeout counts from now. A cancel request
   * reaches it at its commit (CancelWatchService), and one already on the row aborts it at once.
   */
  keepLease(run: ExecutionRunRow, input: { workerId: string; leaseMs: number; heartbeatMs: number }): LeaseKeeper {
    const lease = new LeaseKeeper(
      this.runs,
      this.locks,
      {
        runId: run.id,
        workerId: input.workerId,
        leaseMs: input.leaseMs,
        heartbeatMs: input.heartbeatMs,
        timeoutMs: run.timeout_seconds === null ? null : run.timeout_seconds * 1000,
      },
      () => this.metrics.recordLeaseRenewal(),
    );
    lease.whenStopped(this.cancelWatch.watch(run.id, lease));
    if (run.cancel_requested_at) lease.cancelled(run.cancel_requested_by);
    return lease;
  }

  /**
   * A remote worker's heartbeat: the lease and the run's target locks renewed, if this worker
   * still holds them; null when it does not (lost, taken over, ended).
   */
  renewLease(input: { runId: string; workerId: string; leaseMs: number }): Promise<HeldLease | null> {
    return this.uow.run(async () => {
      const held = await this.runs.heartbeat({ id: input.runId, workerId: input.workerId, leaseMs: input.leaseMs, renew: true, checks: 0 });
      if (!held) return null;
      this.metrics.recordLeaseRenewal();
      await this.locks.renew(input);
      return held;
    });
  }

  /** The run (locked for the caller's transaction unless asked not to), its running step (if any), and whether its deadline passed (database clock). */
  withRunningStep(
    runId: string,
    options: { lock: boolean } = { lock: true },
  ): Promise<{ run: ExecutionRunRow; running: { id: string; step_index: number } | null; pastDeadline: boolean } | null> {
    return this.runs.readWithRunningStep(runId, options);
  }

  /** The step of an attempt at an index, as written (a result sent again is answered from it). */
  ofAttempt(runId: string, index: number, attempt: number): Promise<ExecutionStepRow | null> {
    return this.steps.ofAttempt(runId, index, attempt);
  }

  finished(runId: string): Promise<Map<number, unknown>> {
    return this.steps.finished(runId);
  }

  /** A step starts; the caller holds the run's row lock in its transaction (the claim's, or the one that finished the step before). */
  async start(run: ExecutionRunRow, input: { index: number; name: string; workerId: string }, ctx: CommandContext): Promise<string> {
    const [stepId] = await this.startMany([{ run, ...input, ctx }]);
    return stepId;
  }

  /** Steps of several runs start, in one statement (the claim's transaction holds every run's lock); their ids, in order. */
  startMany(
    starts: ReadonlyArray<{ run: ExecutionRunRow; index: number; name: string; workerId: string; ctx: CommandContext }>,
  ): Promise<string[]> {
    if (starts.length === 0) return Promise.resolve([]);
    return this.uow.run(async () => {
      const ids = await this.steps.insertMany(
        starts.map(({ run, index, name, workerId }) => ({ runId: run.id, index, name, attempt: run.attempt, workerId })),
      );
      for (const { run, index, name, workerId, ctx } of starts) {
        await this.audit.record(
          runEvent(AuditEventType.StepStarted, run, ctx, { step: index, name, attempt: run.attempt, worker_id: workerId }),
        );
      }
      return ids;
    });
  }

  /**
   * A step's end. With `readCancel`, the run is read under its lock first (a step that another
   * one follows: a cancel committed before this result stops the run here). Without it the
   * caller ends the run in the same transaction, and the run's end sees any cancel request.
   */
  finish(
    run: ExecutionRunRow,
    input: { stepId: string; index: number; status: StepStatus; outcome: string | null; result: unknown; error: string | null },
    ctx: CommandContext,
    options: { readCancel: boolean },
  ): Promise<{ cancelRequestedBy: string | null }> {
    return this.uow.run(async () => {
      const current = options.readCancel ? await this.runs.findById(run.id, { lock: true }) : null;
      await this.fsm.transition({
        axis: STEP_AXIS,
        id: input.stepId,
        from: StepStatus.Running,
        to: input.status,
        set: {
          outcome: input.outcome,
          result: input.result === null ? null : JSON.stringify(input.result),
          error: input.error?.slice(0, 2000) ?? null,
          finished_at: DbTime.now(),
        },
        audit: runEvent(AuditEventType.StepFinished, run, ctx, { step: input.index, status: input.status, outcome: input.outcome }),
      });
      return { cancelRequestedBy: current?.cancel_requested_at ? (current.cancel_requested_by ?? 'system') : null };
    });
  }

  /**
   * The last steps of several runs end, one statement per status; each run's end follows in the
   * same transaction (and sees any cancel request). Throws when a step was no longer running.
   */
  finishMany(
    finishes: ReadonlyArray<{
      run: ExecutionRunRow;
      step: { stepId: string; index: number; status: StepStatus; outcome: string | null; result: unknown; error: string | null };
      ctx: CommandContext;
    }>,
  ): Promise<void> {
    return this.uow.run(async () => {
      for (const status of new Set(finishes.map((finish) => finish.step.status))) {
        const group = finishes.filter((finish) => finish.step.status === status);
        const { missed } = await this.fsm.transitionMany({
          axis: STEP_AXIS,
          from: StepStatus.Running,
          to: status,
          rows: group.map(({ run, step, ctx }) => ({
            id: step.stepId,
            set: {
              outcome: step.outcome,
              result: step.result === null ? null : JSON.stringify(step.result),
              error: step.error?.slice(0, 2000) ?? null,
              finished_at: DbTime.now(),
            },
            audit: runEvent(AuditEventType.StepFinished, run, ctx, { step: step.index, status: step.status, outcome: step.outcome }),
          })),
        });
        if (missed.length > 0) throw new Error(`steps ${missed.join(', ')} were no longer running`);
      }
    });
  }

  /**
   * Closes the run's running step, if any: as the reaper found it (its worker stopped answering),
   * or as its own worker left it when the attempt failed before the step's end could be written
   * (`error` says why). A run never goes back to the queue with a step still open.
   */
  async closeRunning(run: ExecutionRunRow, input: { to: StepStatus; error?: string }, ctx: CommandContext): Promise<void> {
    const step = await this.steps.running(run.id);
    if (!step) return;
    const reaped = input.error === undefined;
    await this.fsm.transition({
      axis: STEP_AXIS,
      id: step.id,
      from: StepStatus.Running,
      to: input.to,
      set: { error: input.error ?? `worker ${run.worker_id} stopped answering`, finished_at: DbTime.now() },
      audit: runEvent(AuditEventType.StepFinished, run, ctx, { step: step.step_index, status: input.to, ...(reaped ? { reaped } : {}) }),
    });
  }

  /** An event on the run's chain (progress), written under the run's row lock. */
  recordOnRun(run: ExecutionRunRow, event: AuditRecordInput): Promise<void> {
    return this.uow.run(async () => {
      await this.runs.findById(run.id, { lock: true });
      await this.audit.record(event);
    });
  }
}
