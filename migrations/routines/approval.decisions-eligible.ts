import { RoutineEntry } from '@lib/database';

/** A vote is recorded only from a principal that may decide the run (principal_decision_refusal). */
export const approvalDecisionsEligible: RoutineEntry = {
  file: 'approval.decisions-eligible.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION approval_decisions_eligible() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      refusal text;
    BEGIN
      SELECT principal_decision_refusal(NEW.principal_id, NEW.credential, r.requested_by, r.requested_via) INTO refusal
      FROM execution_runs r WHERE r.id = NEW.execution_run_id;
      IF refusal IS NOT NULL THEN
        RAISE EXCEPTION 'principal % may not decide this run (%)', NEW.principal_id, refusal USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`,
};
