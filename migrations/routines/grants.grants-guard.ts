import { RoutineEntry } from '@lib/database';

/** Grants are never deleted but with their run, are minted active, keep their identity, scope and authority, and move along status_transitions. */
export const grantsGrantsGuard: RoutineEntry = {
  file: 'grants.grants-guard.ts',
  owner: 'grants',
  sql: `
    CREATE OR REPLACE FUNCTION governance_grants_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'grants are never deleted; revoke them' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'active' THEN
          RAISE EXCEPTION 'a grant is minted active' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF NEW.auth_code <> OLD.auth_code OR NEW.scope <> OLD.scope OR NEW.approval_ref <> OLD.approval_ref
         OR NEW.expires_at <> OLD.expires_at OR NEW.granted_at <> OLD.granted_at OR NEW.execution_run_id <> OLD.execution_run_id THEN
        RAISE EXCEPTION 'a grant''s identity, scope and authority are immutable' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (SELECT 1 FROM status_transitions
           WHERE axis = 'grant' AND from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'illegal grant transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`,
};
