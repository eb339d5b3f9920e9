import { defineTable, RowOf } from '@lib/database';

/** One row of the append-only audit trail (a trigger refuses UPDATE, DELETE and TRUNCATE; no FK, so rows outlive runs). */
export const AUDIT_EVENTS_TABLE = defineTable('audit_events', 'audit', {
  id: 'int8',
  event_id: 'uuid',
  event_type: 'text',
  actor: 'text',
  request_id: 'text?',
  project_id: 'text?',
  execution_run_id: 'uuid?',
  data: 'jsonb',
  occurred_at: 'timestamptz',
  chain_key: 'text?',
  prev_hash: 'text?',
  hash: 'text?',
  actor_credential: 'text?',
});

export type AuditEventRow = RowOf<typeof AUDIT_EVENTS_TABLE.columns> & { data: Record<string, unknown> };
