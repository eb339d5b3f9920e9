import { RoutineEntry } from '@lib/database';

/**
 * The execution mode of an action at an approval level, stated once: the most restrictive of
 * the action's row and the level's row in execution_modes (disabled, then record_only), and
 * enabled when neither has one. The create trigger, the claim and the API all ask this.
 */
export const policyExecutionMode: RoutineEntry = {
  file: 'policy.execution-mode.ts',
  owner: 'policy',
  sql: `
    CREATE OR REPLACE FUNCTION execution_mode(p_action text, p_level int) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT CASE
               WHEN bool_or(m.mode = 'disabled') THEN 'disabled'
               WHEN bool_or(m.mode = 'record_only') THEN 'record_only'
               ELSE 'enabled'
             END
      FROM execution_modes m
      WHERE (m.kind = 'action' AND m.key = p_action) OR (m.kind = 'level' AND m.key = p_level::text)
    $$`,
};
