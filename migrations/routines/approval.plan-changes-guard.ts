import { RoutineEntry } from '@lib/database';

/** The record of a run's plan changes is append-only: never updated, deleted only with its run (a purge's cascade). */
export const approvalPlanChangesGuard: RoutineEntry = {
  file: 'approval.plan-changes-guard.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION run_plan_changes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'run_plan_changes is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$`,
};
