import { RoutineEntry } from '@lib/database';

/** Steps are never deleted but with their run, start running under the run's lease, keep their identity and move along status_transitions. */
export const executionStepsGuard: RoutineEntry = {
  file: 'execution.steps-guard.ts',
  owner: 'execution',
  sql: `
    CREATE OR REPLACE FUNCTION execution_steps_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'execution steps are never deleted' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'running' THEN
          RAISE EXCEPTION 'a step starts running' USING ERRCODE = 'check_violation';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = NEW.execution_run_id AND status = 'RUNNING' AND worker_id = NEW.worker_id) THEN
          RAISE EXCEPTION 'only the worker holding run %''s lease may start its steps', NEW.execution_run_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF NEW.execution_run_id <> OLD.execution_run_id OR NEW.step_index <> OLD.step_index OR NEW.attempt <> OLD.attempt THEN
        RAISE EXCEPTION 'a step''s identity is immutable' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (SELECT 1 FROM status_transitions
           WHERE axis = 'step' AND from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'illegal step transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`,
};
