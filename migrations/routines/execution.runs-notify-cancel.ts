import { RoutineEntry } from '@lib/database';

/** The worker holding a run hears of its cancel request at the commit, not at its next heartbeat. */
export const executionRunsNotifyCancel: RoutineEntry = {
  file: 'execution.runs-notify-cancel.ts',
  owner: 'execution',
  sql: `
    CREATE OR REPLACE FUNCTION execution_runs_notify_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('execution_run_cancel', NEW.id::text);
      RETURN NULL;
    END $$`,
};
