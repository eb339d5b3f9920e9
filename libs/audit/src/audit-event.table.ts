import { defineTable, RowOf } from '@lib/database';

/**
 * One row of the append-only audit trail (a trigger refuses UPDATE, DELETE and TRUNCATE; no FK, so
 * rows outlive runs).
 *
 * Triggers on this table that are not the audit lib's: the webhook outbox's statement trigger
 * (`audit_events_webhook_outbox`, its function in notifications.outbox-fill.ts) is
 * declared by the notifications lib, which owns what it writes (webhook_deliveries). It must fire
 * in the very statement that appends a change's events, so that a committed change cannot lose
 * its delivery; and the audit lib, below notifications, must not know about webhooks. It only
 * reads the new rows and never changes this table.
 */
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
