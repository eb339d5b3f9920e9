import { defineStatusAxis } from '@lib/state-machine';
import { APPROVALS_TABLE, ApprovalRow } from './approval.tables';

export enum ApprovalStatus {
  Pending = 'pending',
  Approved = 'approved',
  Rejected = 'rejected',
  Deferred = 'deferred',
  Expired = 'expired',
  Invalidated = 'invalidated',
  /** Its run (or, at level 3, the step it approved) has been carried out. */
  Executed = 'executed',
  /** Its run failed or timed out. */
  ExecutionFailed = 'execution_failed',
}

/** An approval lane's status axis. PostgreSQL holds the same table (status_transitions). */
export const APPROVAL_AXIS = defineStatusAxis<ApprovalStatus, ApprovalRow>({
  name: 'approval',
  table: APPROVALS_TABLE,
  key: 'id',
  transitions: [
    [ApprovalStatus.Pending, ApprovalStatus.Approved],
    [ApprovalStatus.Pending, ApprovalStatus.Rejected],
    [ApprovalStatus.Pending, ApprovalStatus.Deferred],
    [ApprovalStatus.Pending, ApprovalStatus.Expired],
    [ApprovalStatus.Pending, ApprovalStatus.Invalidated],
    [ApprovalStatus.Approved, ApprovalStatus.Invalidated],
    [ApprovalStatus.Approved, ApprovalStatus.Expired],
    [ApprovalStatus.Approved, ApprovalStatus.Executed],
    [ApprovalStatus.Approved, ApprovalStatus.ExecutionFailed],
    [ApprovalStatus.Deferred, ApprovalStatus.Invalidated],
  ],
  settable: ['reason', 'decided_by', 'decided_at', 'deferred_until', 'policy_hash'],
});

/** Lanes that still decide something: at most one per run. */
export const OPEN_LANE_STATUSES: readonly ApprovalStatus[] = [ApprovalStatus.Pending, ApprovalStatus.Approved];
