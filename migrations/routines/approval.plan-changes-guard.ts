import { RoutineEntry } from '@lib/database';
import { MAX_PLAN_CHANGES } from '@lib/approval';

/**
 * The record of a run's plan changes is append-only (never updated, deleted only with its run, a
 * purge's cascade) and bounded: at most MAX_PLAN_CHANGES rows per run (the insert holds the run's lock).
 */
export const approvalPlanChangesGuard: RoutineEntry = {
  file: 'approval.plan-changes-guard.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION run_plan_changes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF (SELECT count(*) FROM run_plan_changes WHERE execution_run_id = NEW.execution_run_id) >= ${MAX_PLAN_CHANGES} THEN
          RAISE EXCEPTION 'a run''s plan changes at most ${MAX_PLAN_CHANGES} times' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'run_plan_changes is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$`,
};
