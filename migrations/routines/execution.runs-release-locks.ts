import { RoutineEntry } from '@lib/database';

/** A run holds its targets only while a worker holds it: leaving CLAIMED or RUNNING lets them go, in the same statement. */
export const executionRunsReleaseLocks: RoutineEntry = {
  file: 'execution.runs-release-locks.ts',
  owner: 'execution',
  sql: `
    CREATE OR REPLACE FUNCTION execution_runs_release_locks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM execution_locks WHERE execution_run_id = NEW.id;
      RETURN NULL;
    END $$`,
};
