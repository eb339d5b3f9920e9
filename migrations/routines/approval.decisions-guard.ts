import { RoutineEntry } from '@lib/database';

/** Votes are append-only (deleted only with their run), name their approval's run, land only on a pending lane, and never come from the run's requester. */
export const approvalDecisionsGuard: RoutineEntry = {
  file: 'approval.decisions-guard.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION approval_decisions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      lane approvals%ROWTYPE;
    BEGIN
      IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
        RETURN OLD;
      END IF;
      IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'approval_decisions is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END IF;
      SELECT * INTO lane FROM approvals WHERE id = NEW.approval_id;
      IF lane.execution_run_id <> NEW.execution_run_id THEN
        RAISE EXCEPTION 'a vote must name the run of its approval' USING ERRCODE = 'check_violation';
      END IF;
      IF lane.status <> 'pending' THEN
        RAISE EXCEPTION 'approval % is % and takes no votes', lane.id, lane.status USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM execution_runs WHERE id = NEW.execution_run_id AND requested_by = NEW.principal_id) THEN
        RAISE EXCEPTION 'the requester of a run may not vote on it' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`,
};
