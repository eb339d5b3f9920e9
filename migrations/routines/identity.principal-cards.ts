import { RoutineEntry } from '@lib/database';

/**
 * Who a principal is, as other libs' SQL may name it (a webhook payload names a run's requester):
 * its kind, name and the person an agent acts for. Read only; the identity lib owns principals.
 */
export const identityPrincipalCards: RoutineEntry = {
  file: 'identity.principal-cards.ts',
  owner: 'identity',
  sql: `
    CREATE OR REPLACE VIEW principal_cards AS
    SELECT id::text AS id, kind, name, acts_for::text AS acts_for FROM principals`,
};
