import { RoutineEntry } from '@lib/database';

/**
 * Who may decide a run's approval, stated once (the decision service asks it for its error; the
 * trigger on approval_decisions asks it so that no path records a vote it forbids; the quorum
 * counts only the votes it still allows, so a vote of a principal disabled since does not count).
 *
 * Approvals are decisions of people: the decider is a person, or a service an admin of every
 * project marked as an approver and that votes with a key minted by itself, by the system or by
 * an admin of every project (a key a project admin minted for it before it was marked is that
 * admin's, not the approver's). And the decider is not tied to the requester. Each side's ties
 * are its principal, the principal that minted the key it acts with, and the makers of each
 * (created_by, walked up): whoever made or minted a principal holds it. The decider may not be
 * among the requester's ties (it made the requester, or minted its key), the requester may not be
 * among the decider's, and the two may share no tie but an admin of every project (the root of
 * trust, which may mint any key; two services a project admin made approve nothing of each
 * other's). Null: may decide; else why not.
 */
export const governanceDecisionRefusal: RoutineEntry = {
  file: 'governance.decision-refusal.ts',
  owner: 'governance',
  sql: `
    CREATE OR REPLACE FUNCTION principal_decision_refusal(voter text, voter_credential text, requester text, requester_credential text)
    RETURNS text LANGUAGE sql STABLE AS $$
      WITH RECURSIVE
      start(side, id) AS (
        SELECT 'r', requester
        UNION ALL SELECT 'v', voter
        UNION ALL
        SELECT c.side, k.created_by
        FROM (VALUES ('r', requester_credential), ('v', voter_credential)) AS c(side, credential)
        JOIN api_keys k ON k.id = CASE WHEN c.credential ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                                       THEN substr(c.credential, 9)::uuid END
      ),
      tie(side, id, depth) AS (
        SELECT side, id, 0 FROM start
        UNION
        SELECT t.side, p.created_by, t.depth + 1
        FROM tie t
        JOIN principals p ON p.id = CASE WHEN t.id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN t.id::uuid END
        WHERE t.depth < 16
      ),
      v AS (
        SELECT p.*, (
                 SELECT k.created_by = p.id::text OR k.created_by = 'system'
                        OR EXISTS (SELECT 1 FROM principals m
                                   WHERE m.id = CASE WHEN k.created_by ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN k.created_by::uuid END
                                     AND 'admin@*' = ANY (m.role_grants))
                 FROM api_keys k
                 WHERE k.principal_id = p.id
                   AND k.id = CASE WHEN voter_credential ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                                   THEN substr(voter_credential, 9)::uuid END
               ) AS key_pinned
        FROM principals p
        WHERE p.id = CASE WHEN voter ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN voter::uuid END
      )
      SELECT CASE
               WHEN voter = requester THEN 'self'
               WHEN NOT EXISTS (SELECT 1 FROM v) THEN 'unknown_principal'
               WHEN (SELECT disabled_at FROM v) IS NOT NULL THEN 'disabled'
               WHEN (SELECT kind FROM v) <> 'person' AND NOT (SELECT service_approver FROM v) THEN 'not_a_person'
               WHEN (SELECT kind FROM v) <> 'person' AND (SELECT key_pinned FROM v) IS NOT TRUE THEN 'key_not_pinned'
               WHEN EXISTS (SELECT 1 FROM tie WHERE side = 'r' AND id = voter) THEN 'made_the_requester'
               WHEN EXISTS (SELECT 1 FROM tie WHERE side = 'v' AND id = requester) THEN 'made_by_the_requester'
               WHEN EXISTS (SELECT 1 FROM tie a JOIN tie b ON b.side = 'v' AND b.id = a.id
                            JOIN principals p ON p.id = CASE WHEN a.id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN a.id::uuid END
                            WHERE a.side = 'r' AND NOT ('admin@*' = ANY (p.role_grants))) THEN 'same_maker'
             END
    $$`,
};
