import { Pool } from 'pg';
import { AckLedger } from './ack-ledger';

export interface InvariantReport {
  /** Acknowledged creates with no run of that id, project and key. */
  readonly runs_lost: number;
  /** runs_lost plus acknowledged approvals with no approve vote, or whose run is still BLOCKED, REJECTED or EXPIRED. */
  readonly acknowledged_writes_lost: number;
  readonly approvals_lost: number;
  /** Acknowledged creates without their run.created event, acknowledged approvals without approval.approved: the audit half of the write. */
  readonly audit_events_missing: number;
  /** (run, step) pairs with more than one succeeded or skipped step row: a finished step run twice. */
  readonly steps_doubled: number;
  /** (run, step) pairs started more than once (an attempt cut short, then run again): at-least-once, expected after a kill. */
  readonly steps_rerun: number;
  /** SUCCEEDED multi-step runs that do not have every planned step finished exactly once. */
  readonly succeeded_runs_missing_steps: number;
  /** Runs still CLAIMED or RUNNING with a lease that has run out, after settling. */
  readonly expired_leases: number;
  /** Approved runs of the campaign not ended after settling. */
  readonly runs_by_status: Record<string, number>;
  readonly lost_samples: string[];
}

/** The campaign's checks, straight on PostgreSQL, after the runs have settled. */
export async function checkInvariants(pool: Pool, ledger: AckLedger, projectPattern: string): Promise<InvariantReport> {
  const creates = [...ledger.creates.values()];
  const lostRuns = await pool.query<{ id: string; key: string }>(
    `SELECT acked.id::text, acked.key
     FROM unnest($1::uuid[], $2::text[], $3::text[]) AS acked(id, project_id, key)
     LEFT JOIN execution_runs r ON r.id = acked.id AND r.project_id = acked.project_id AND r.idempotency_key = acked.key
     WHERE r.id IS NULL`,
    [
      creates.map((create) => create.executionId),
      creates.map((create) => create.projectId),
      creates.map((create) => create.idempotencyKey),
    ],
  );
  const lostApprovals = await pool.query<{ id: string; why: string }>(
    `SELECT acked.id::text,
            CASE WHEN r.id IS NULL THEN 'run missing'
                 WHEN NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.execution_run_id = r.id AND d.decision = 'approve') THEN 'no approve vote'
                 ELSE 'run is ' || r.status END AS why
     FROM unnest($1::uuid[]) AS acked(id)
     LEFT JOIN execution_runs r ON r.id = acked.id
     WHERE r.id IS NULL
        OR r.status IN ('BLOCKED', 'REJECTED', 'EXPIRED')
        OR NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.execution_run_id = r.id AND d.decision = 'approve')`,
    [[...ledger.approvals]],
  );
  const missingEvents = await pool.query<{ count: number }>(
    `SELECT (SELECT count(*) FROM unnest($1::uuid[]) AS acked(id)
             WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.execution_run_id = acked.id AND e.event_type = 'run.created'))
          + (SELECT count(*) FROM unnest($2::uuid[]) AS acked(id)
             WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.execution_run_id = acked.id AND e.event_type = 'approval.approved')) AS count`,
    [creates.map((create) => create.executionId), [...ledger.approvals]],
  );
  const steps = await pool.query<{ doubled: number; rerun: number }>(
    `SELECT count(*) FILTER (WHERE finished > 1)::int AS doubled, count(*) FILTER (WHERE attempts > 1)::int AS rerun
     FROM (SELECT s.execution_run_id, s.step_index,
                  count(*) FILTER (WHERE s.status IN ('succeeded', 'skipped')) AS finished,
                  count(*) AS attempts
           FROM execution_steps s JOIN execution_runs r ON r.id = s.execution_run_id
           WHERE r.project_id LIKE $1
           GROUP BY 1, 2) per_step`,
    [projectPattern],
  );
  const missingSteps = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM execution_runs r
     WHERE r.project_id LIKE $1 AND r.status = 'SUCCEEDED' AND r.action = 'ops.sleep'
       AND (SELECT count(DISTINCT s.step_index) FROM execution_steps s
            WHERE s.execution_run_id = r.id AND s.status IN ('succeeded', 'skipped')) <> jsonb_array_length(r.targets)`,
    [projectPattern],
  );
  const leases = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM execution_runs WHERE status IN ('CLAIMED', 'RUNNING') AND lease_expires_at < now()`,
  );
  const statuses = await pool.query<{ status: string; count: number }>(
    `SELECT status, count(*)::int AS count FROM execution_runs WHERE project_id LIKE $1 GROUP BY 1 ORDER BY 1`,
    [projectPattern],
  );
  return {
    runs_lost: lostRuns.rows.length,
    approvals_lost: lostApprovals.rows.length,
    acknowledged_writes_lost: lostRuns.rows.length + lostApprovals.rows.length,
    audit_events_missing: Number(missingEvents.rows[0].count),
    steps_doubled: steps.rows[0].doubled,
    steps_rerun: steps.rows[0].rerun,
    succeeded_runs_missing_steps: missingSteps.rows[0].count,
    expired_leases: leases.rows[0].count,
    runs_by_status: Object.fromEntries(statuses.rows.map((row) => [row.status, row.count])),
    lost_samples: [
      ...lostRuns.rows.slice(0, 5).map((row) => `create ${row.key} -> ${row.id}: no such run`),
      ...lostApprovals.rows.slice(0, 5).map((row) => `approval of ${row.id}: ${row.why}`),
    ],
  };
}
