import { RoutineEntry } from '@lib/database';

/** The audit trail is append-only: UPDATE, DELETE and TRUNCATE are refused (triggers in 1795329400000). */
export const auditRefuseChange: RoutineEntry = {
  file: 'audit.refuse-change.ts',
  owner: 'audit',
  sql: `
    CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$`,
};
