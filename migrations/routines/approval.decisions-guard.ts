import { RoutineEntry } from '@lib/database';

/** Votes are append-only (deleted only with their run), name their approval's run, land only on a pending lane, and come only from a principal that may decide the run and did not write the lane's plan. */
export const approvalDecisionsGuard: RoutineEntry = {
  file: 'approval.decisions-guard.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION approval_decisions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      lane approvals%ROWTYPE;
      refusal text;
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
      -- Only from a principal that may decide the run: never its requester, a service that is not a
      -- marked approver, nor anyone tied to the requester (principal_decision_refusal).
      SELECT principal_decision_refusal(NEW.principal_id, NEW.credential, r.requested_by, r.requested_via) INTO refusal
      FROM execution_runs r WHERE r.id = NEW.execution_run_id;
      IF refusal IS NOT NULL THEN
        RAISE EXCEPTION 'principal % may not decide this run (%)', NEW.principal_id, refusal USING ERRCODE = 'check_violation';
      END IF;
      -- Whoever wrote this lane's plan (a decider who edited it) does not approve it too.
      IF lane.opened_by IS NOT NULL AND lane.opened_by = NEW.principal_id THEN
        RAISE EXCEPTION 'principal % changed this plan and may not decide it (edited_the_plan)', NEW.principal_id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`,
};
