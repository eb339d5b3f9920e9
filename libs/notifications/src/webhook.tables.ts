import { defineTable, RowOf } from '@lib/database';

/**
 * Glossary
 * - subscription: a project's webhook: a URL, the event types it wants, a signing secret.
 * - retired secret: one a rotation replaced, still signing beside the current one until its own
 *   valid_until (its grace); at most MAX_RETIRED_SECRETS per subscription, one per slot.
 * - delivery: one event for one subscription (webhook_deliveries), written by the transaction
 *   that wrote the audit event it announces (the outbox), sent at least once, in order per run.
 * - order key: the run (or, for events without one, the audit chain) a delivery belongs to; a
 *   delivery is sent only when no earlier one with its key is still pending or in flight.
 * - dead: a delivery that used up its attempts; an admin may re-drive it.
 * - paused: a subscription whose receiver failed is not sent to until paused_until (backoff by
 *   its consecutive failures), so a receiver that is down is probed, not hammered by every
 *   delivery queued for it.
 */
export const WEBHOOK_SUBSCRIPTIONS_TABLE = defineTable('webhook_subscriptions', 'notifications', {
  id: 'uuid',
  project_id: 'text',
  url: 'text',
  event_types: '_text',
  description: 'text?',
  secret: 'text',
  status: 'text',
  created_by: 'text',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  version: 'int4',
  consecutive_failures: 'int4',
  paused_until: 'timestamptz?',
});

export type WebhookSubscriptionRow = RowOf<typeof WEBHOOK_SUBSCRIPTIONS_TABLE.columns>;

/** The slots of webhook_retired_secrets (its CHECK says the same). */
export const MAX_RETIRED_SECRETS = 5;

export const WEBHOOK_RETIRED_SECRETS_TABLE = defineTable('webhook_retired_secrets', 'notifications', {
  subscription_id: 'uuid',
  slot: 'int2',
  secret: 'text',
  valid_until: 'timestamptz',
});

export const WEBHOOK_DELIVERIES_TABLE = defineTable('webhook_deliveries', 'notifications', {
  id: 'int8',
  delivery_id: 'uuid',
  subscription_id: 'uuid',
  audit_event_id: 'int8',
  event_type: 'text',
  order_key: 'text',
  payload: 'jsonb',
  status: 'text',
  attempts: 'int4',
  available_at: 'timestamptz',
  worker_id: 'text?',
  lease_expires_at: 'timestamptz?',
  last_status_code: 'int4?',
  last_error: 'text?',
  last_attempt_at: 'timestamptz?',
  delivered_at: 'timestamptz?',
  created_at: 'timestamptz',
});

export type WebhookDeliveryRow = RowOf<typeof WEBHOOK_DELIVERIES_TABLE.columns>;

export enum WebhookEventType {
  ApprovalRequested = 'approval.requested',
  ApprovalDecided = 'approval.decided',
  ApprovalExpired = 'approval.expired',
  ApprovalInvalidated = 'approval.invalidated',
  RunStarted = 'run.started',
  RunSucceeded = 'run.succeeded',
  RunFailed = 'run.failed',
  RunDeadLettered = 'run.dead_lettered',
  RunCancelled = 'run.cancelled',
  RunRecorded = 'run.recorded',
  GrantMinted = 'grant.minted',
  GrantConsumed = 'grant.consumed',
  GrantRevoked = 'grant.revoked',
}

export enum WebhookSubscriptionStatus {
  Active = 'active',
  Disabled = 'disabled',
}

export enum WebhookDeliveryStatus {
  Pending = 'pending',
  Delivering = 'delivering',
  Delivered = 'delivered',
  Dead = 'dead',
}
