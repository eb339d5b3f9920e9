import { RoutineEntry } from '@lib/database';

/**
 * The webhook outbox, filled by the statement that appends audit events: one delivery per
 * announced event and active subscription of its project that asked for its type, in the same
 * transaction, so deliveries exist exactly for the changes that committed. Deliveries of one
 * run (or one chain, for events without a run) share an order key and are sent in order. One
 * notification per statement that queued any wakes the senders.
 */
export const notificationsOutboxFill: RoutineEntry = {
  file: 'notifications.outbox-fill.ts',
  owner: 'notifications',
  sql: `
    CREATE OR REPLACE FUNCTION webhook_outbox_fill() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      queued int;
    BEGIN
      INSERT INTO webhook_deliveries (subscription_id, audit_event_id, event_type, order_key, payload)
      SELECT s.id, e.id, e.kind, coalesce(e.execution_run_id::text, e.chain_key),
             jsonb_build_object(
               'type', e.kind,
               'occurred_at', e.occurred_at,
               'project_id', e.project_id,
               'run_id', e.execution_run_id,
               'actor', e.actor,
               'audit_event', jsonb_build_object('id', e.id, 'event_id', e.event_id, 'type', e.event_type, 'hash', e.hash),
               'data', e.data)
      FROM (SELECT n.*, webhook_event_type(n.event_type, n.data) AS kind FROM new_events n WHERE n.project_id IS NOT NULL) e
      JOIN webhook_subscriptions s ON s.project_id = e.project_id AND s.status = 'active' AND e.kind = ANY (s.event_types)
      WHERE e.kind IS NOT NULL
      ORDER BY e.id, s.id;
      GET DIAGNOSTICS queued = ROW_COUNT;
      IF queued > 0 THEN
        PERFORM pg_notify('webhook_deliveries', '');
      END IF;
      RETURN NULL;
    END $$`,
};
