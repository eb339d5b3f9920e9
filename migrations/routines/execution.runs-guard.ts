import { RoutineEntry } from '@lib/database';

/**
 * A run starts BLOCKED / approval_pending; its identity never changes; its plan changes only
 * while it waits; its status moves only along status_transitions; and nothing is claimed, run
 * or resumed without an approval of the run's current plan. A run a worker holds is never
 * deleted; any other may be (its approvals, votes, grants, steps, locks and dead letters go with
 * it; its audit events stay).
 */
export const executionRunsGuard: RoutineEntry = {
  file: 'execution.runs-guard.ts',
  owner: 'execution',
  sql: `
    CREATE OR REPLACE FUNCTION execution_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.status IN ('CLAIMED', 'RUNNING') THEN
          RAISE EXCEPTION 'run % is % and held by a worker: it cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
      END IF;
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'BLOCKED' OR NEW.blocked_reason IS DISTINCT FROM 'approval_pending' THEN
          RAISE EXCEPTION 'a new run must start BLOCKED / approval_pending' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF NEW.id <> OLD.id OR NEW.project_id <> OLD.project_id OR NEW.idempotency_key <> OLD.idempotency_key
         OR NEW.requested_by <> OLD.requested_by OR NEW.created_at <> OLD.created_at OR NEW.action <> OLD.action
         OR NEW.fingerprint <> OLD.fingerprint OR NEW.approval_level <> OLD.approval_level THEN
        RAISE EXCEPTION 'a run''s identity is immutable' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.plan_hash <> OLD.plan_hash AND NEW.status <> 'BLOCKED' THEN
        RAISE EXCEPTION 'a run''s plan may change only while it waits for approval' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT EXISTS (SELECT 1 FROM status_transitions
                       WHERE axis = 'run' AND from_status = OLD.status AND to_status = NEW.status) THEN
          RAISE EXCEPTION 'illegal run transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IN ('RUN', 'CLAIMED', 'RUNNING') AND NOT EXISTS (SELECT 1 FROM approvals
                       WHERE execution_run_id = NEW.id AND status = 'approved' AND plan_hash = NEW.plan_hash) THEN
          RAISE EXCEPTION 'run % cannot move to % without an approval of its current plan', NEW.id, NEW.status USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      RETURN NEW;
    END $$`,
};
