import { RoutineEntry } from '@lib/database';

/**
 * A run's current approval: its latest lane. Stated once; every query that needs "the run's
 * approval" reads it through this function (a plain SQL function, so PostgreSQL inlines it
 * into the caller's plan as a LATERAL subquery on approvals_run_lane_uniq).
 */
export const approvalCurrentLane: RoutineEntry = {
  file: 'approval.current-lane.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION approval_current_lane(p_run_id uuid) RETURNS SETOF approvals
    LANGUAGE sql STABLE AS $$
      SELECT * FROM approvals WHERE execution_run_id = p_run_id ORDER BY lane DESC LIMIT 1
    $$`,
};
