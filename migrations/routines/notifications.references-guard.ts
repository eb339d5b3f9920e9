import { RoutineEntry } from '@lib/database';

/**
 * What a foreign key from webhook_deliveries to webhook_subscriptions would state, without its
 * cost: a foreign key makes every transaction that queues a delivery share-lock the subscription
 * row, and concurrent announcements of one project then contend on that one row (MultiXact).
 * Instead a subscription is never deleted (disable it; DELETE and TRUNCATE are refused), and a
 * delivery may name only a subscription that exists (checked at insert, without a lock: it cannot
 * go away). Triggers in 1795510000000.
 */
export const notificationsReferencesGuard: RoutineEntry = {
  file: 'notifications.references-guard.ts',
  owner: 'notifications',
  sql: `
    CREATE OR REPLACE FUNCTION webhook_subscriptions_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'webhook_subscriptions are never deleted (disable one instead): % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE OR REPLACE FUNCTION webhook_deliveries_require_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = NEW.subscription_id) THEN
        RAISE EXCEPTION 'webhook delivery for subscription % that does not exist', NEW.subscription_id
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'webhook_deliveries_subscription_exists';
      END IF;
      RETURN NEW;
    END $$`,
};
