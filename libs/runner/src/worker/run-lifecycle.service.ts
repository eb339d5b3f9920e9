import { Injectable } from '@nestjs/common';
import { CommandContext, SECRET_MASKER } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType } from '@lib/audit';
import { ApprovalStatus, BlockedReason, ExecutionRunRow, RunStatus, StatusMachineService } from '@lib/execution';
import { ApprovalLaneService } from '@lib/approval';
import { PolicyService } from '@lib/governance';
import { backoffMs } from './worker-settings';

export type Ending =
  | { kind: 'paused'; stepIndex: number }
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'failed'; error: string }
  | { kind: 'timed_out'; error: string }
  | { kind: 'cancelled'; by: string }
  | { kind: 'retry'; error: string };

const RESULT_CAP_BYTES = 10 * 1024;

/**
 * The run's execution transitions, each a compare-and-set on (status, worker_id) so a worker
 * that lost its lease can never finish a run someone else now holds. Every ending releases the
 * run's locks in the same transaction. A retryable failure goes back to the queue with backoff
 * and jitter, or to the dead-letter table once max_attempts is spent.
 */
@Injectable()
export class RunLifecycleService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly fsm: StatusMachineService,
    private readonly lanes: ApprovalLaneService,
    private readonly policy: PolicyService,
  ) {}

  start(run: ExecutionRunRow, input: { workerId: string; timeoutSeconds: number }, ctx: CommandContext): Promise<ExecutionRunRow> {
    const now = Date.now();
    return this.fsm.transition<ExecutionRunRow>({
      axis: 'run',
      id: run.id,
      from: RunStatus.Claimed,
      to: RunStatus.Running,
      set: {
        attempt: run.attempt + 1,
        started_at: run.started_at ?? new Date(now),
        timeout_seconds: input.timeoutSeconds,
        deadline_at: new Date(now + input.timeoutSeconds * 1000),
      },
      expect: { worker_id: input.workerId },
      audit: this.statusEvent(run, RunStatus.Claimed, RunStatus.Running, ctx, {
        attempt: run.attempt + 1,
        worker_id: input.workerId,
        timeout_seconds: input.timeoutSeconds,
      }),
    });
  }

  async end(
    run: ExecutionRunRow,
    input: { workerId: string | null; from: RunStatus; ending: Ending; backoffBaseMs: number },
    ctx: CommandContext,
  ): Promise<ExecutionRunRow> {
    return this.uow.run(async () => {
      await this.uow.query(`DELETE FROM execution_locks WHERE execution_run_id = $1`, [run.id]);
      const { ending } = input;
      const expect = input.workerId === null ? undefined : { worker_id: input.workerId };
      const released = { worker_id: null, lease_expires_at: null };
      if (ending.kind === 'paused') return this.pause(run, { from: input.from, expect, stepIndex: ending.stepIndex }, ctx);
      if (ending.kind === 'retry' && run.attempt < run.max_attempts) {
        const delay = backoffMs(run.attempt, input.backoffBaseMs);
        return this.fsm.transition<ExecutionRunRow>({
          axis: 'run',
          id: run.id,
          from: input.from,
          to: RunStatus.Run,
          set: { ...released, available_at: new Date(Date.now() + delay), last_error: mask(ending.error) },
          expect,
          audit: this.statusEvent(run, input.from, RunStatus.Run, ctx, {
            reason: 'retry',
            attempt: run.attempt,
            retry_in_ms: delay,
            error: mask(ending.error),
          }),
        });
      }
      if (ending.kind === 'retry') {
        const moved = await this.fsm.transition<ExecutionRunRow>({
          axis: 'run',
          id: run.id,
          from: input.from,
          to: RunStatus.DeadLettered,
          set: { ...released, finished_at: new Date(), last_error: mask(ending.error) },
          expect,
          audit: this.statusEvent(run, input.from, RunStatus.DeadLettered, ctx, { attempts: run.attempt, error: mask(ending.error) }),
        });
        await this.uow.query(`INSERT INTO execution_dlq (execution_run_id, project_id, attempts, last_error) VALUES ($1, $2, $3, $4)`, [
          run.id,
          run.project_id,
          Math.max(1, run.attempt),
          mask(ending.error),
        ]);
        return moved;
      }
      const to = (
        { succeeded: RunStatus.Succeeded, failed: RunStatus.Failed, timed_out: RunStatus.TimedOut, cancelled: RunStatus.Cancelled } as const
      )[ending.kind];
      const set: Record<string, unknown> = { ...released, finished_at: new Date() };
      if (ending.kind === 'succeeded') set.result = JSON.stringify(capResult(ending.result));
      if (ending.kind === 'failed' || ending.kind === 'timed_out') set.last_error = mask(ending.error);
      if (ending.kind === 'cancelled') Object.assign(set, { cancelled_by: ending.by, cancelled_at: new Date() });
      return this.fsm.transition<ExecutionRunRow>({
        axis: 'run',
        id: run.id,
        from: input.from,
        to,
        set,
        expect,
        audit: this.statusEvent(
          run,
          input.from,
          to,
          ctx,
          ending.kind === 'succeeded' ? {} : { detail: 'error' in ending ? mask(ending.error) : ending.kind },
        ),
      });
    });
  }

  /**
   * Level 3: before the next step the run goes back to BLOCKED; the approval that let it this far
   * is closed as executed, and a new lane for that step is opened. The resumed attempt gets a
   * budget of its own (max_attempts grows by one), so steps do not use up retries.
   */
  private async pause(
    run: ExecutionRunRow,
    input: { from: RunStatus; expect?: { worker_id: string }; stepIndex: number },
    ctx: CommandContext,
  ): Promise<ExecutionRunRow> {
    const [lane] = await this.uow.query<{ id: string }>(`SELECT id FROM approvals WHERE execution_run_id = $1 AND status = 'approved'`, [
      run.id,
    ]);
    if (lane) {
      await this.fsm.transition({
        axis: 'approval',
        id: lane.id,
        from: ApprovalStatus.Approved,
        to: ApprovalStatus.Executed,
        audit: {
          type: AuditEventType.ApprovalExecuted,
          ctx,
          projectId: run.project_id,
          executionRunId: run.id,
          data: { approval_id: lane.id, next_step: input.stepIndex },
        },
      });
    }
    const paused = await this.fsm.transition<ExecutionRunRow>({
      axis: 'run',
      id: run.id,
      from: input.from,
      to: RunStatus.Blocked,
      set: {
        worker_id: null,
        lease_expires_at: null,
        blocked_reason: BlockedReason.StepApprovalPending,
        max_attempts: run.max_attempts + 1,
      },
      expect: input.expect,
      audit: this.statusEvent(run, input.from, RunStatus.Blocked, ctx, { reason: 'step_approval', step: input.stepIndex }),
    });
    await this.lanes.openLane({
      run: paused,
      actionType: this.policy.getActionTypeOrFail(run.action),
      policyHash: this.policy.hash,
      ctx,
      stepIndex: input.stepIndex,
    });
    return paused;
  }

  private statusEvent(run: ExecutionRunRow, from: RunStatus, to: RunStatus, ctx: CommandContext, data: Record<string, unknown>) {
    return { type: AuditEventType.RunStatusChanged, ctx, projectId: run.project_id, executionRunId: run.id, data: { from, to, ...data } };
  }
}

/** Errors and results never carry a resolved secret, and never exceed the 10 KiB cap. */
export function mask(text: string): string {
  return SECRET_MASKER.mask(text).slice(0, 2000);
}

/** A result over 10 KiB is truncated with a marker, never rejected after the work is done. */
export function capResult(result: unknown): unknown {
  const masked = SECRET_MASKER.maskJson(result ?? null);
  if (storedBytes(masked) <= RESULT_CAP_BYTES - 64) return masked;
  const text = JSON.stringify(masked);
  // The preview is stored as a JSON string, where escaping can double it; 4 KiB stays under the cap.
  const preview = Buffer.from(text, 'utf8')
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return { truncated: true, original_bytes: Buffer.byteLength(text, 'utf8'), preview };
}

/** Bytes of the value as PostgreSQL prints jsonb (which the CHECK measures): ", " and ": " separators. */
export function storedBytes(value: unknown): number {
  if (value === null || typeof value !== 'object') return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
  if (Array.isArray(value)) return 2 + value.reduce<number>((sum, item, index) => sum + storedBytes(item) + (index > 0 ? 2 : 0), 0);
  return (
    2 +
    Object.entries(value as Record<string, unknown>).reduce(
      (sum, [key, item], index) => sum + Buffer.byteLength(JSON.stringify(key), 'utf8') + 2 + storedBytes(item) + (index > 0 ? 2 : 0),
      0,
    )
  );
}
