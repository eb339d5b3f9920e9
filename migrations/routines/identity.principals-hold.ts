import { RoutineEntry } from '@lib/database';

/**
 * Share-locks the principals named (ids that are not principals are passed over) until the
 * transaction ends: a quorum counted under it cannot be undone by a principal disabled between
 * the count and the commit (the disable waits, or came first and is seen by the count).
 */
export const identityPrincipalsHold: RoutineEntry = {
  file: 'identity.principals-hold.ts',
  owner: 'identity',
  sql: `
    CREATE OR REPLACE FUNCTION principals_hold(p_ids text[]) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM 1 FROM principals
      WHERE id = ANY (SELECT CASE WHEN x ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN x::uuid END FROM unnest(p_ids) AS x)
      ORDER BY id FOR SHARE;
    END $$`,
};
