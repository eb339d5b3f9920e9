import { RoutineEntry } from '@lib/database';

/** A worker is woken by NOTIFY when a run becomes claimable, instead of waiting for a poll. */
export const executionRunsNotifyReady: RoutineEntry = {
  file: 'execution.runs-notify-ready.ts',
  owner: 'execution',
  sql: `
    CREATE OR REPLACE FUNCTION execution_runs_notify_ready() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('execution_runs_ready', NEW.id::text);
      RETURN NULL;
    END $$`,
};
