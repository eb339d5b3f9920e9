import { defineTable, RowOf } from '@lib/database';

/**
 * Glossary
 * - run: one requested action (execution_runs row), unique per (project_id, idempotency_key).
 * - fingerprint: SHA-256 of the canonical JSON of {action, params, targets}; decides dedup vs conflict.
 * - plan hash: the fingerprint of the run's current plan; an approval is valid only for the plan hash it approved.
 * - step: one unit of a run's work as its handler planned it (execution_steps), recorded per attempt.
 * - lock: a run's lease-bound hold on one target (execution_locks), so two runs never act on one asset at once.
 * - dead letter: a run that spent max_attempts (execution_dlq), re-drivable by an admin.
 */
export const EXECUTION_RUNS_TABLE = defineTable('execution_runs', 'execution', {
  id: 'uuid',
  project_id: 'text',
  idempotency_key: 'text',
  action: 'text',
  params: 'jsonb',
  targets: 'jsonb',
  fingerprint: 'text',
  status: 'text',
  blocked_reason: 'text?',
  requested_by: 'text',
  version: 'int4',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  approval_level: 'int2',
  plan_hash: 'text',
  policy_hash: 'text?',
  attempt: 'int4',
  max_attempts: 'int4',
  available_at: 'timestamptz',
  worker_id: 'text?',
  lease_expires_at: 'timestamptz?',
  lease_renewals: 'int4',
  sla_class: 'text',
  timeout_seconds: 'int4?',
  deadline_at: 'timestamptz?',
  started_at: 'timestamptz?',
  finished_at: 'timestamptz?',
  cancel_requested_at: 'timestamptz?',
  cancel_requested_by: 'text?',
  cancel_reason: 'text?',
  cancelled_by: 'text?',
  cancelled_at: 'timestamptz?',
  cancel_checks_performed: 'int4',
  result: 'jsonb?',
  last_error: 'text?',
  target_wait_started_at: 'timestamptz?',
  requested_via: 'text?',
});

export type ExecutionRunRow = RowOf<typeof EXECUTION_RUNS_TABLE.columns> & { params: Record<string, unknown>; targets: string[] };

export const EXECUTION_STEPS_TABLE = defineTable('execution_steps', 'execution', {
  id: 'int8',
  execution_run_id: 'uuid',
  step_index: 'int4',
  name: 'text',
  attempt: 'int4',
  worker_id: 'text',
  status: 'text',
  outcome: 'text?',
  result: 'jsonb?',
  error: 'text?',
  version: 'int4',
  updated_at: 'timestamptz',
  started_at: 'timestamptz',
  finished_at: 'timestamptz?',
});

export type ExecutionStepRow = RowOf<typeof EXECUTION_STEPS_TABLE.columns>;

export const EXECUTION_LOCKS_TABLE = defineTable('execution_locks', 'execution', {
  target: 'text',
  execution_run_id: 'uuid',
  worker_id: 'text',
  acquired_at: 'timestamptz',
  lease_expires_at: 'timestamptz',
});

export const EXECUTION_DLQ_TABLE = defineTable('execution_dlq', 'execution', {
  id: 'uuid',
  execution_run_id: 'uuid',
  project_id: 'text',
  attempts: 'int4',
  last_error: 'text',
  created_at: 'timestamptz',
  redriven_at: 'timestamptz?',
  redriven_by: 'text?',
});

export type DlqEntryRow = RowOf<typeof EXECUTION_DLQ_TABLE.columns>;

/** SLA class x action class; `*` is the class default. */
export const TIMEOUT_POLICIES_TABLE = defineTable('timeout_policies', 'execution', {
  sla_class: 'text',
  action_class: 'text',
  timeout_seconds: 'int4',
});
