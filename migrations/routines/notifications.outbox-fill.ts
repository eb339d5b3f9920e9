import { RoutineEntry } from '@lib/database';

/**
 * The webhook outbox, filled by the statement that appends audit events: one delivery per
 * announced event and active subscription of its project that asked for its type, in the same
 * transaction, so deliveries exist exactly for the changes that committed. Deliveries of one
 * run (or one chain, for events without a run) share an order key and are sent in order: only
 * the oldest unfinished one of a key is due, the others wait at 'infinity' until it is finished,
 * so a sender's claim never walks past deliveries that are not yet theirs to send. One
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
      INSERT INTO webhook_deliveries (subscription_id, audit_event_id, event_type, order_key, payload, available_at)
      SELECT q.subscription_id, q.audit_event_id, q.kind, q.order_key, q.payload,
             -- Only the head of a run's deliveries is due; the rest wait ('infinity') until the one
             -- before them is delivered or dead (webhook_deliveries_promote_next). An unfinished
             -- one before it is locked FOR SHARE, so a sender finishing it at this moment either
             -- waits for this transaction (and then promotes this row) or finished first (and
             -- this row is the head).
             CASE WHEN q.n > 1 OR EXISTS (
                    SELECT 1 FROM webhook_deliveries x
                     WHERE x.subscription_id = q.subscription_id AND x.order_key = q.order_key
                       AND x.status IN ('pending', 'delivering')
                     FOR SHARE)
                  THEN 'infinity'::timestamptz ELSE now() END
      FROM (
        SELECT s.id AS subscription_id, e.id AS audit_event_id, e.kind, coalesce(e.execution_run_id::text, e.chain_key) AS order_key,
               jsonb_build_object(
                 'type', e.kind,
                 'occurred_at', e.occurred_at,
                 'project_id', e.project_id,
                 'run_id', e.execution_run_id,
                 'actor', e.actor,
                 'audit_event', jsonb_build_object('id', e.id, 'event_id', e.event_id, 'type', e.event_type, 'hash', e.hash),
                 'data', e.data,
                 -- What a receiver shows a person: the run's action, targets, level and status,
                 -- who requested it (and for whom an agent acts), and when its open approval
                 -- expires, as they stand when the event's transaction appends it (the events of
                 -- one transaction, appended together at its end, show the same state).
                 'run', (SELECT jsonb_build_object(
                                  'action', r.action, 'targets', r.targets, 'approval_level', r.approval_level, 'status', r.status,
                                  'requested_by', jsonb_build_object('id', r.requested_by, 'name', p.name, 'kind', p.kind,
                                                                     'acts_for', CASE WHEN f.id IS NULL THEN NULL
                                                                                      ELSE jsonb_build_object('id', f.id, 'name', f.name) END),
                                  -- ISO 8601 in UTC to the millisecond, as the payload's other times.
                                  'approval_expires_at', (SELECT to_char(l.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                                                          FROM approval_current_lane(r.id) l WHERE l.status IN ('pending', 'deferred')))
                         FROM execution_run_states r
                         LEFT JOIN principal_cards p ON p.id = r.requested_by
                         LEFT JOIN principal_cards f ON f.id = p.acts_for
                         WHERE r.id = e.execution_run_id)) AS payload,
               row_number() OVER (PARTITION BY s.id, coalesce(e.execution_run_id::text, e.chain_key) ORDER BY e.id) AS n
        FROM (SELECT n.*, webhook_event_type(n.event_type, n.data) AS kind FROM new_events n WHERE n.project_id IS NOT NULL) e
        JOIN webhook_subscriptions s ON s.project_id = e.project_id AND s.status = 'active' AND e.kind = ANY (s.event_types)
        WHERE e.kind IS NOT NULL
      ) q
      ORDER BY q.audit_event_id, q.subscription_id;
      GET DIAGNOSTICS queued = ROW_COUNT;
      IF queued > 0 THEN
        PERFORM pg_notify('webhook_deliveries', '');
      END IF;
      RETURN NULL;
    END $$`,
};
