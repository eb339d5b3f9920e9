/**
 * Glossary
 * - run: one requested action (execution_runs row), unique per (project_id, idempotency_key).
 * - fingerprint: SHA-256 of the canonical JSON of {action, params, targets}; decides dedup vs conflict.
 * - approval: the gate a run waits behind; its status axis is separate from the run's.
 * - transition: a status change, legal only if listed in TRANSITIONS, applied by compare-and-set.
 */
export enum RunStatus {
  Blocked = 'BLOCKED',
  Run = 'RUN',
  Rejected = 'REJECTED',
}

export enum BlockedReason {
  ApprovalPending = 'approval_pending',
}

export enum ApprovalStatus {
  Pending = 'pending',
  Approved = 'approved',
  Rejected = 'rejected',
}

export type StatusAxis = 'run' | 'approval';

/** The legal transitions per axis. PostgreSQL holds the same table (status_transitions). */
export const TRANSITIONS: { readonly [A in StatusAxis]: ReadonlyArray<readonly [string, string]> } = {
  run: [
    [RunStatus.Blocked, RunStatus.Run],
    [RunStatus.Blocked, RunStatus.Rejected],
  ],
  approval: [
    [ApprovalStatus.Pending, ApprovalStatus.Approved],
    [ApprovalStatus.Pending, ApprovalStatus.Rejected],
  ],
};

export function isLegalTransition(axis: StatusAxis, from: string, to: string): boolean {
  return TRANSITIONS[axis].some(([f, t]) => f === from && t === to);
}
