import { RoutineEntry } from '@lib/database';

/**
 * How many approving votes of a lane count now, stated once (the quorum check of the vote
 * service and the approvals trigger): those whose voter may still decide the run
 * (principal_decision_refusal), so a vote of a principal disabled since, or of a service
 * approver since unmarked, no longer counts.
 */
export const approvalCountedApprovals: RoutineEntry = {
  file: 'approval.counted-approvals.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION approval_counted_approvals(p_approval uuid) RETURNS int LANGUAGE sql STABLE AS $$
      SELECT count(*)::int
      FROM approval_decisions d JOIN execution_runs r ON r.id = d.execution_run_id
      WHERE d.approval_id = p_approval AND d.decision = 'approve'
        AND principal_decision_refusal(d.principal_id, d.credential, r.requested_by, r.requested_via) IS NULL
    $$`,
};
