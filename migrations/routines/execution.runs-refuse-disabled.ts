import { RoutineEntry } from '@lib/database';

/**
 * No new run of a disabled action or level, whichever path inserts it. A request that repeats
 * the idempotency key of a run that exists is let through: ON CONFLICT makes it the dedup hit
 * it was before the switch.
 */
export const executionRunsRefuseDisabled: RoutineEntry = {
  file: 'execution.runs-refuse-disabled.ts',
  owner: 'execution',
  sql: `
    CREATE OR REPLACE FUNCTION execution_runs_refuse_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF execution_mode(NEW.action, NEW.approval_level) = 'disabled'
         AND NOT EXISTS (SELECT 1 FROM execution_runs WHERE project_id = NEW.project_id AND idempotency_key = NEW.idempotency_key) THEN
        RAISE EXCEPTION 'action % at level % is disabled', NEW.action, NEW.approval_level
          USING ERRCODE = 'check_violation', CONSTRAINT = 'execution_runs_action_enabled';
      END IF;
      RETURN NEW;
    END $$`,
};
