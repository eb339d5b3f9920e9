import { RoutineEntry } from '@lib/database';

/**
 * The approval gate, stated once: a run may be claimed, run or act on its approval only if its
 * current lane is approved, not past its expiry, and for the plan the run has now. One row per
 * existing run (none for an unknown id): 'open', or why not. With `p_after_execution`, a lane
 * whose run carried it out (executed) counts as approved too: what the run produced (a grant)
 * stays usable after the run succeeded. Used by ApprovalGateService and by the claim.
 */
export const approvalGate: RoutineEntry = {
  file: 'approval.gate.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION approval_gate(p_run_id uuid, p_after_execution boolean DEFAULT false)
    RETURNS TABLE (verdict text, approval_id uuid, approval_status text)
    LANGUAGE sql STABLE AS $$
      SELECT CASE
               WHEN a.id IS NULL THEN 'no_approval'
               WHEN a.status = 'expired' THEN 'approval_expired'
               WHEN a.status <> 'approved' AND NOT (p_after_execution AND a.status = 'executed') THEN 'not_approved'
               WHEN a.expires_at <= now() THEN 'approval_expired'
               WHEN a.plan_hash <> r.plan_hash THEN 'plan_changed'
               ELSE 'open'
             END,
             a.id, a.status
      FROM execution_runs r
      LEFT JOIN LATERAL approval_current_lane(r.id) a ON true
      WHERE r.id = p_run_id
    $$`,
};
