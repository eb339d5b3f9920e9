import { RoutineEntry } from '@lib/database';

/** 1:1 at commit: every run has its approval by the time its transaction commits (a deferred constraint trigger). */
export const executionRunsRequireApproval: RoutineEntry = {
  file: 'execution.runs-require-approval.ts',
  owner: 'execution',
  sql: `
    CREATE OR REPLACE FUNCTION execution_runs_require_approval() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM approvals WHERE execution_run_id = NEW.id) THEN
        RAISE EXCEPTION 'run % has no approval', NEW.id USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$`,
};
