import { defineTable, RowOf } from '@lib/database';

/**
 * Glossary
 * - lane: one approval record of a run. A run's first lane opens with it; a plan change, a
 *   reopen after deferral or the next step of a level-3 run opens the next one. The latest lane
 *   is the run's current approval (approval_current_lane, in PostgreSQL).
 * - opened_by: who changed the plan that opened a lane, when not the requester (a decider who
 *   edited it); that principal does not decide the lane.
 * - open lane: a pending or approved lane (at most one per run, by a partial unique index).
 * - vote: one approver's approve or reject on a pending lane (approval_decisions, append-only).
 * - gate: whether the run may act on its approval now (approval_gate, in PostgreSQL).
 */
export const APPROVALS_TABLE = defineTable('approvals', 'approval', {
  id: 'uuid',
  execution_run_id: 'uuid',
  status: 'text',
  reason: 'text?',
  decided_by: 'text?',
  decided_at: 'timestamptz?',
  version: 'int4',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  lane: 'int4',
  plan_hash: 'text',
  policy_hash: 'text?',
  required_approvals: 'int2',
  expires_at: 'timestamptz',
  deferred_until: 'timestamptz?',
  step_index: 'int4?',
  opened_by: 'text?',
});

export type ApprovalRow = RowOf<typeof APPROVALS_TABLE.columns>;

export const APPROVAL_DECISIONS_TABLE = defineTable('approval_decisions', 'approval', {
  id: 'int8',
  approval_id: 'uuid',
  execution_run_id: 'uuid',
  principal_id: 'text',
  decision: 'text',
  reason: 'text?',
  created_at: 'timestamptz',
  credential: 'text?',
});

export type VoteRow = RowOf<typeof APPROVAL_DECISIONS_TABLE.columns>;

/** How many times one run's plan may change (the table's guard, routines/approval.plan-changes-guard.ts, holds the bound). */
export const MAX_PLAN_CHANGES = 50;

/** The plan each change of a run's plan replaced, for a reviewer's diff (append-only, purged with its run). */
export const RUN_PLAN_CHANGES_TABLE = defineTable('run_plan_changes', 'approval', {
  id: 'int8',
  execution_run_id: 'uuid',
  old_plan_hash: 'text',
  new_plan_hash: 'text',
  old_params: 'jsonb',
  old_targets: 'jsonb',
  changed_by: 'text',
  changed_at: 'timestamptz',
});

export type PlanChangeRow = RowOf<typeof RUN_PLAN_CHANGES_TABLE.columns> & { old_params: Record<string, unknown>; old_targets: string[] };
