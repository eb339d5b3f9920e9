import { defineTable, RowOf } from '@lib/database';

/**
 * Glossary
 * - execution mode: how runs of an action type, or of an approval level, are carried out:
 *   `enabled` (run), `record_only` (created, approved and audited; the handler is not run and the
 *   run ends RECORDED) or `disabled` (new runs refused; approved ones wait in the queue).
 * - effective mode: the most restrictive of a run's action row and level row; enabled when
 *   neither exists. PostgreSQL states it once (execution_mode()).
 */
export const EXECUTION_MODES_TABLE = defineTable('execution_modes', 'policy', {
  kind: 'text',
  key: 'text',
  mode: 'text',
  reason: 'text',
  changed_by: 'text',
  changed_at: 'timestamptz',
  version: 'int4',
});

export type ExecutionModeRow = RowOf<typeof EXECUTION_MODES_TABLE.columns>;

export enum ExecutionMode {
  Enabled = 'enabled',
  RecordOnly = 'record_only',
  Disabled = 'disabled',
}

export enum ExecutionModeScope {
  Action = 'action',
  Level = 'level',
}
