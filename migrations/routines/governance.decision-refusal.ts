import { RoutineEntry } from '@lib/database';

/**
 * Who may decide a run's approval, stated once (the decision service asks it for its error; the
 * trigger on approval_decisions asks it so that no path can record a vote it forbids). Approvals
 * are decisions of people: the decider is a person (or a service an admin of every project
 * marked as an approver), enabled, not the requester, not whoever made the requester's
 * principal, and not made by the requester. Null: may decide; else why not.
 */
export const governanceDecisionRefusal: RoutineEntry = {
  file: 'governance.decision-refusal.ts',
  owner: 'governance',
  sql: `
    CREATE OR REPLACE FUNCTION principal_decision_refusal(voter text, requester text) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT CASE
               WHEN voter = requester THEN 'self'
               WHEN v.id IS NULL THEN 'unknown_principal'
               WHEN v.disabled_at IS NOT NULL THEN 'disabled'
               WHEN v.kind <> 'person' AND NOT v.service_approver THEN 'not_a_person'
               WHEN r.created_by = voter THEN 'made_the_requester'
               WHEN v.created_by = requester THEN 'made_by_the_requester'
             END
      FROM (SELECT CASE WHEN voter ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN voter::uuid END AS voter_id,
                   CASE WHEN requester ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN requester::uuid END AS requester_id) ids
      LEFT JOIN principals v ON v.id = ids.voter_id
      LEFT JOIN principals r ON r.id = ids.requester_id
    $$`,
};
