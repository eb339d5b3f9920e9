import { defineStatusAxis } from '@lib/state-machine';
import { EXECUTION_RUNS_TABLE, EXECUTION_STEPS_TABLE, ExecutionRunRow, ExecutionStepRow } from './execution.tables';

export enum RunStatus {
  Blocked = 'BLOCKED',
  /** Approved and claimable (the LOCK's name). */
  Run = 'RUN',
  Rejected = 'REJECTED',
  Expired = 'EXPIRED',
  Claimed = 'CLAIMED',
  Running = 'RUNNING',
  Succeeded = 'SUCCEEDED',
  Failed = 'FAILED',
  TimedOut = 'TIMED_OUT',
  Cancelled = 'CANCELLED',
  DeadLettered = 'DEAD_LETTERED',
  /** Approved and claimed while its action or level was record_only: audited, its handler not run. */
  Recorded = 'RECORDED',
}

export enum StepStatus {
  Running = 'running',
  Succeeded = 'succeeded',
  Skipped = 'skipped',
  Failed = 'failed',
  TimedOut = 'timed_out',
  Cancelled = 'cancelled',
  /** Its worker lost the lease (died); the step will be tried again by the next attempt. */
  Abandoned = 'abandoned',
}

export enum BlockedReason {
  ApprovalPending = 'approval_pending',
  ApprovalDeferred = 'approval_deferred',
  /** Level 3: paused before a step that needs its own approval. */
  StepApprovalPending = 'step_approval_pending',
}

/** A run's status axis. PostgreSQL holds the same table (status_transitions). */
export const RUN_AXIS = defineStatusAxis<RunStatus, ExecutionRunRow>({
  name: 'run',
  table: EXECUTION_RUNS_TABLE,
  key: 'id',
  transitions: [
    [RunStatus.Blocked, RunStatus.Run],
    [RunStatus.Blocked, RunStatus.Rejected],
    [RunStatus.Blocked, RunStatus.Expired],
    [RunStatus.Run, RunStatus.Expired],
    // The plan changed after approval: back to waiting for a new one.
    [RunStatus.Run, RunStatus.Blocked],
    // Claimed and started in one transaction (the claim); CLAIMED stays for a claim refused by RBAC.
    [RunStatus.Run, RunStatus.Running],
    [RunStatus.Run, RunStatus.Claimed],
    // Record-only mode: claimed and ended in one step, the handler not run.
    [RunStatus.Run, RunStatus.Recorded],
    [RunStatus.Claimed, RunStatus.Running],
    // Claimed but could not start (a target is locked) or its worker died: back to the queue.
    [RunStatus.Claimed, RunStatus.Run],
    // A retryable failure, or a dead worker: back to the queue with the attempt counted.
    [RunStatus.Running, RunStatus.Run],
    // Level 3: paused before the next step until it is approved.
    [RunStatus.Running, RunStatus.Blocked],
    [RunStatus.Running, RunStatus.Succeeded],
    [RunStatus.Running, RunStatus.Failed],
    [RunStatus.Running, RunStatus.TimedOut],
    [RunStatus.Running, RunStatus.DeadLettered],
    [RunStatus.Claimed, RunStatus.DeadLettered],
    // Refused at claim time (the requester lost the permission): an rbac_violation.
    [RunStatus.Claimed, RunStatus.Failed],
    [RunStatus.DeadLettered, RunStatus.Run],
    [RunStatus.Blocked, RunStatus.Cancelled],
    [RunStatus.Run, RunStatus.Cancelled],
    [RunStatus.Claimed, RunStatus.Cancelled],
    [RunStatus.Running, RunStatus.Cancelled],
  ],
  settable: [
    'blocked_reason',
    'params',
    'targets',
    'plan_hash',
    'worker_id',
    'lease_expires_at',
    'attempt',
    'max_attempts',
    'available_at',
    'started_at',
    'finished_at',
    'timeout_seconds',
    'deadline_at',
    'result',
    'last_error',
    'cancelled_by',
    'cancelled_at',
    'target_wait_started_at',
  ],
  // The lease holder; a waiting run's plan and reason (a plan change or deferral that raced another);
  // no cancel request (a worker's ending, which a cancel committed first must win over).
  expectable: ['worker_id', 'plan_hash', 'blocked_reason', 'cancel_requested_at'],
});

export const STEP_AXIS = defineStatusAxis<StepStatus, ExecutionStepRow>({
  name: 'step',
  table: EXECUTION_STEPS_TABLE,
  key: 'id',
  transitions: [
    [StepStatus.Running, StepStatus.Succeeded],
    [StepStatus.Running, StepStatus.Skipped],
    [StepStatus.Running, StepStatus.Failed],
    [StepStatus.Running, StepStatus.TimedOut],
    [StepStatus.Running, StepStatus.Cancelled],
    [StepStatus.Running, StepStatus.Abandoned],
  ],
  settable: ['outcome', 'result', 'error', 'finished_at'],
});

/** Runs that have not started: a plan may still change, an approval may still expire, a cancel ends them at once. */
export const WAITING_RUN_STATUSES: readonly RunStatus[] = [RunStatus.Blocked, RunStatus.Run];

/**
 * Runs that have ended for good (a dead-lettered run may still be re-driven): no transition leaves
 * them, so a run's event stream ends after their events, and retention may purge them.
 */
export const ENDED_RUN_STATUSES: readonly RunStatus[] = [
  RunStatus.Succeeded,
  RunStatus.Failed,
  RunStatus.TimedOut,
  RunStatus.Cancelled,
  RunStatus.Rejected,
  RunStatus.Expired,
  RunStatus.Recorded,
];

export const PURGEABLE_RUN_STATUSES: readonly RunStatus[] = ENDED_RUN_STATUSES;

export function hasEnded(status: string): boolean {
  return ENDED_RUN_STATUSES.includes(status as RunStatus);
}
