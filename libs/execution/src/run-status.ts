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
  Run = 'RUN',
  Rejected = 'REJECTED',
  Expired = 'EXPIRED',
}

export enum BlockedReason {
  ApprovalPending = 'approval_pending',
  ApprovalDeferred = 'approval_deferred',
}

export enum ApprovalStatus {
  Pending = 'pending',
  Approved = 'approved',
  Rejected = 'rejected',
  Deferred = 'deferred',
  Expired = 'expired',
  Invalidated = 'invalidated',
}

export enum GrantStatus {
  Active = 'active',
  Consumed = 'consumed',
  Revoked = 'revoked',
  Expired = 'expired',
}

export type StatusAxis = 'run' | 'approval' | 'grant';

/** The legal transitions per axis. PostgreSQL holds the same table (status_transitions). */
export const TRANSITIONS: { readonly [A in StatusAxis]: ReadonlyArray<readonly [string, string]> } = {
  run: [
    [RunStatus.Blocked, RunStatus.Run],
    [RunStatus.Blocked, RunStatus.Rejected],
    [RunStatus.Blocked, RunStatus.Expired],
    [RunStatus.Run, RunStatus.Expired],
    // The plan changed after approval: back to waiting for a new one.
    [RunStatus.Run, RunStatus.Blocked],
  ],
  approval: [
    [ApprovalStatus.Pending, ApprovalStatus.Approved],
    [ApprovalStatus.Pending, ApprovalStatus.Rejected],
    [ApprovalStatus.Pending, ApprovalStatus.Deferred],
    [ApprovalStatus.Pending, ApprovalStatus.Expired],
    [ApprovalStatus.Pending, ApprovalStatus.Invalidated],
    [ApprovalStatus.Approved, ApprovalStatus.Invalidated],
    [ApprovalStatus.Approved, ApprovalStatus.Expired],
  ],
  grant: [
    [GrantStatus.Active, GrantStatus.Consumed],
    [GrantStatus.Active, GrantStatus.Revoked],
    [GrantStatus.Active, GrantStatus.Expired],
  ],
};

export function isLegalTransition(axis: StatusAxis, from: string, to: string): boolean {
  return TRANSITIONS[axis].some(([f, t]) => f === from && t === to);
}
