import { RoutineEntry } from '@lib/database';

/**
 * Which webhook event an audit event is, if any: the public names subscribers choose from.
 * approval.requested only for a lane that needs a person (level 0 is approved by the system in
 * the same transaction); a run's status change by where it went; votes, dedup hits, progress and
 * the rest are not announced.
 */
export const notificationsWebhookEventType: RoutineEntry = {
  file: 'notifications.webhook-event-type.ts',
  owner: 'notifications',
  sql: `
    CREATE OR REPLACE FUNCTION webhook_event_type(p_type text, p_data jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE
        WHEN p_type = 'approval.requested' AND coalesce((p_data ->> 'required_approvals')::int, 1) > 0 THEN 'approval.requested'
        WHEN p_type IN ('approval.approved', 'approval.rejected') THEN 'approval.decided'
        WHEN p_type = 'approval.expired' THEN 'approval.expired'
        WHEN p_type = 'approval.invalidated' THEN 'approval.invalidated'
        WHEN p_type = 'run.claimed' AND p_data ->> 'to' = 'RUNNING' THEN 'run.started'
        WHEN p_type = 'run.status_changed' THEN CASE p_data ->> 'to'
          WHEN 'SUCCEEDED' THEN 'run.succeeded'
          WHEN 'FAILED' THEN 'run.failed'
          WHEN 'TIMED_OUT' THEN 'run.failed'
          WHEN 'DEAD_LETTERED' THEN 'run.dead_lettered'
          WHEN 'CANCELLED' THEN 'run.cancelled'
          WHEN 'RECORDED' THEN 'run.recorded'
        END
        WHEN p_type IN ('grant.minted', 'grant.consumed', 'grant.revoked') THEN p_type
      END
    $$`,
};
