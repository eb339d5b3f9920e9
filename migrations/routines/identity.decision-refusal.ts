import { RoutineEntry } from '@lib/database';

const UUID = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;
/** The uuid a text names, or null (no cast error for ids that are not uuids, such as 'system'). */
const uuidOf = (text: string) => `CASE WHEN ${text} ~* ${UUID} THEN (${text})::uuid END`;
/** The graph node of a credential: 'k:<key id>' for `api_key:<id>`; null for a token or anything else. */
const keyNodeOf = (credential: string) =>
  `CASE WHEN ${credential} ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN 'k:' || substr(${credential}, 9) END`;

/**
 * Who may decide a run's approval, stated once (the decision service asks it for its error; the
 * votes' guard asks it so that no path records a vote it forbids; the quorum counts only the
 * votes it still allows, so a vote of a principal disabled since does not count).
 *
 * Approvals are decisions of people: the decider is a person, or a service an admin of every
 * project marked as an approver and that votes with a pinned key: one whose whole minting chain
 * (the key that minted it, and the key that minted that one, ...) was minted by the approver
 * itself, by the system or by an admin of every project. A key anyone else minted in that chain
 * is held by them, not by the approver.
 *
 * An agent never decides, whatever roles it holds; and the person an agent acts for does not
 * decide the agent's runs (it answers for them).
 *
 * And the decider is not tied to the requester. Ties are who holds a side: from its principal
 * and the key it acts with, walk to whoever made each principal (created_by) and with which key
 * (created_via), to the person an agent acts for (acts_for), and to whoever minted each key and
 * with which key, to the end. The decider may
 * not be among the requester's ties (it made the requester, minted a key in its chain, or made
 * whoever did), the requester may not be among the decider's, and the two may share no tie but
 * an admin of every project (the root of trust, which may mint any key). Null: may decide; else
 * why not.
 */
export const identityDecisionRefusal: RoutineEntry = {
  file: 'identity.decision-refusal.ts',
  owner: 'identity',
  sql: `
    CREATE OR REPLACE FUNCTION principal_decision_refusal(voter text, voter_credential text, requester text, requester_credential text)
    RETURNS text LANGUAGE sql STABLE AS $$
      WITH RECURSIVE
      tie(side, node) AS (
        SELECT side, node FROM (VALUES ('r', 'p:' || requester), ('v', 'p:' || voter),
                                       ('r', ${keyNodeOf('requester_credential')}), ('v', ${keyNodeOf('voter_credential')})) AS s(side, node)
        WHERE node IS NOT NULL
        UNION
        SELECT t.side, n.node
        FROM tie t
        LEFT JOIN principals p ON t.node LIKE 'p:%' AND p.id = ${uuidOf('substr(t.node, 3)')}
        LEFT JOIN api_keys k ON t.node LIKE 'k:%' AND k.id = ${uuidOf('substr(t.node, 3)')}
        CROSS JOIN LATERAL (VALUES ('p:' || coalesce(p.created_by, k.created_by)), ('p:' || p.acts_for::text),
                                   (${keyNodeOf('coalesce(p.created_via, k.created_via)')})) AS n(node)
        WHERE (p.id IS NOT NULL OR k.id IS NOT NULL) AND n.node IS NOT NULL
      ),
      chain(node) AS (
        SELECT ${keyNodeOf('voter_credential')}
        UNION
        SELECT ${keyNodeOf('k.created_via')}
        FROM chain c JOIN api_keys k ON k.id = ${uuidOf('substr(c.node, 3)')}
        WHERE k.created_via IS NOT NULL
      ),
      v AS (
        SELECT p.*,
               ${keyNodeOf('voter_credential')} IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM chain c JOIN api_keys k ON k.id = ${uuidOf('substr(c.node, 3)')}
                 WHERE k.created_by <> voter AND k.created_by <> 'system'
                   AND NOT EXISTS (SELECT 1 FROM principals m WHERE m.id = ${uuidOf('k.created_by')} AND 'admin@*' = ANY (m.role_grants))
               ) AS key_pinned
        FROM principals p
        WHERE p.id = ${uuidOf('voter')}
      )
      SELECT CASE
               WHEN voter = requester THEN 'self'
               WHEN NOT EXISTS (SELECT 1 FROM v) THEN 'unknown_principal'
               WHEN (SELECT disabled_at FROM v) IS NOT NULL THEN 'disabled'
               WHEN (SELECT kind FROM v) = 'agent' THEN 'agent'
               WHEN (SELECT kind FROM v) <> 'person' AND NOT (SELECT service_approver FROM v) THEN 'not_a_person'
               WHEN EXISTS (SELECT 1 FROM principals r WHERE r.id = ${uuidOf('requester')} AND r.acts_for::text = voter) THEN 'accountable_for_the_requester'
               WHEN (SELECT kind FROM v) <> 'person' AND NOT (SELECT key_pinned FROM v) THEN 'key_not_pinned'
               WHEN EXISTS (SELECT 1 FROM tie WHERE side = 'r' AND node = 'p:' || voter) THEN 'made_the_requester'
               WHEN EXISTS (SELECT 1 FROM tie WHERE side = 'v' AND node = 'p:' || requester) THEN 'made_by_the_requester'
               WHEN EXISTS (SELECT 1 FROM tie a JOIN tie b ON b.side = 'v' AND b.node = a.node
                            JOIN principals p ON a.node LIKE 'p:%' AND p.id = ${uuidOf('substr(a.node, 3)')}
                            WHERE a.side = 'r' AND NOT ('admin@*' = ANY (p.role_grants))) THEN 'same_maker'
             END
    $$`,
};
