/**
 * Glossary
 * - run: one requested action (execution_runs row), unique per (project_id, idempotency_key).
 * - fingerprint: SHA-256 of the canonical JSON of {action, params, targets}; decides dedup vs conflict.
 * - approval: the gate a run waits behind; its status axis is separate from the run's.
 * - transition: a status change, legal only if listed in TRANSITIONS, applied by compare-and-set.
 * - plan hash: the fingerprint of the run's current plan; an approval is valid only for the plan hash it approved.
 */
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

export enum ApprovalStatus {
  Pending = 'pending',
  Approved = 'approved',
  Rejected = 'rejected',
  Deferred = 'deferred',
  Expired = 'expired',
  Invalidated = 'invalidated',
  /** Level 3: the step it approved has been carried out. */
  Executed = 'executed',
}

export enum GrantStatus {
  Active = 'active',
  Consumed = 'consumed',
  Revoked = 'revoked',
  Expired = 'expired',
}

export type StatusAxis = 'run' | 'approval' | 'grant' | 'step';

/** The legal transitions per axis. PostgreSQL holds the same table (status_transitions). */
export const TRANSITIONS: { readonly [A in StatusAxis]: ReadonlyArray<readonly [string, string]> } = {
  run: [
    [RunStatus.Blocked, RunStatus.Run],
    [RunStatus.Blocked, RunStatus.Rejected],
    [RunStatus.Blocked, RunStatus.Expired],
    [RunStatus.Run, RunStatus.Expired],
    // The plan changed after approval: back to waiting for a new one.
    [RunStatus.Run, RunStatus.Blocked],
    [RunStatus.Run, RunStatus.Claimed],
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
  approval: [
    [ApprovalStatus.Pending, ApprovalStatus.Approved],
    [ApprovalStatus.Pending, ApprovalStatus.Rejected],
    [ApprovalStatus.Pending, ApprovalStatus.Deferred],
    [ApprovalStatus.Pending, ApprovalStatus.Expired],
    [ApprovalStatus.Pending, ApprovalStatus.Invalidated],
    [ApprovalStatus.Approved, ApprovalStatus.Invalidated],
    [ApprovalStatus.Approved, ApprovalStatus.Expired],
    [ApprovalStatus.Approved, ApprovalStatus.Executed],
  ],
  grant: [
    [GrantStatus.Active, GrantStatus.Consumed],
    [GrantStatus.Active, GrantStatus.Revoked],
    [GrantStatus.Active, GrantStatus.Expired],
  ],
  step: [
    [StepStatus.Running, StepStatus.Succeeded],
    [StepStatus.Running, StepStatus.Skipped],
    [StepStatus.Running, StepStatus.Failed],
    [StepStatus.Running, StepStatus.TimedOut],
    [StepStatus.Running, StepStatus.Cancelled],
    [StepStatus.Running, StepStatus.Abandoned],
  ],
};

export function isLegalTransition(axis: StatusAxis, from: string, to: string): boolean {
  return TRANSITIONS[axis].some(([f, t]) => f === from && t === to);
}
