import { RoutineEntry } from '@lib/database';

/**
 * Each run with its approval level: what the execution lib publishes of its runs for other libs' queries (read only): another
 * lib's SQL reads this view, never the execution_runs table; locks and writes go through the
 * execution lib's repositories.
 */
export const executionRunStates: RoutineEntry = {
  file: 'execution.run-states.ts',
  owner: 'execution',
  sql: `
    CREATE OR REPLACE VIEW execution_run_states AS
    SELECT id, project_id, action, status, blocked_reason, plan_hash, requested_by, created_at, updated_at, approval_level, requested_via, targets
    FROM execution_runs`,
};
