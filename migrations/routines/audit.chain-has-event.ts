import { RoutineEntry } from '@lib/database';

/** Whether a chain holds an event of one of the given types: the audit lib's answer for other libs' queries. */
export const auditChainHasEvent: RoutineEntry = {
  file: 'audit.chain-has-event.ts',
  owner: 'audit',
  sql: `
    CREATE OR REPLACE FUNCTION audit_chain_has_event(p_chain_key text, p_event_types text[]) RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT EXISTS (SELECT 1 FROM audit_events WHERE chain_key = p_chain_key AND event_type = ANY (p_event_types))
    $$`,
};
