import { ExecutionRunRow } from '@lib/execution';
import { ApprovalRow, VoteRow } from './approval.tables';

export interface VoteSummary {
  readonly principalId: string;
  /** The credential the voter used (`api_key:<id>`, `oidc:<token id>`); null for votes from before it was recorded. */
  readonly credential: string | null;
  readonly decision: string;
  readonly reason: string | null;
  readonly at: Date;
}

/** What a run shows of its current approval lane. */
export interface ApprovalSummary {
  readonly id: string;
  readonly lane: number;
  readonly status: string;
  readonly reason: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly planHash: string;
  readonly policyHash: string | null;
  readonly requiredApprovals: number;
  readonly votes: readonly VoteSummary[];
  readonly expiresAt: Date;
  readonly deferredUntil: Date | null;
  /** Level 3: the step this lane approves. */
  readonly stepIndex: number | null;
  /** Who wrote this lane's plan when it was not the requester (it does not decide the lane). */
  readonly openedBy: string | null;
}

/** A run and its current approval: what every run endpoint answers with. */
export interface RunView {
  readonly run: ExecutionRunRow;
  readonly approval: ApprovalSummary | null;
}

export function summarizeLane(row: ApprovalRow, votes: readonly VoteRow[]): ApprovalSummary {
  return {
    id: row.id,
    lane: row.lane,
    status: row.status,
    reason: row.reason,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    planHash: row.plan_hash,
    policyHash: row.policy_hash,
    requiredApprovals: row.required_approvals,
    votes: votes.map((vote) => ({
      principalId: vote.principal_id,
      credential: vote.credential ?? null,
      decision: vote.decision,
      reason: vote.reason,
      at: vote.created_at,
    })),
    expiresAt: row.expires_at,
    deferredUntil: row.deferred_until,
    stepIndex: row.step_index,
    openedBy: row.opened_by,
  };
}
