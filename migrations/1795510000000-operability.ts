import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operability.
 * - Execution modes: per action type and per approval level, `enabled`, `record_only` (approved
 *   and audited, the handler is not run: the run ends RECORDED) or `disabled` (new runs refused,
 *   queued ones held). No row means enabled; the most restrictive of a run's two rows wins
 *   (routine execution_mode). A BEFORE INSERT trigger refuses a new run of a disabled action or
 *   level, so no path can create one.
 * - Webhooks through an outbox: subscriptions per project; a statement trigger on audit_events
 *   writes one delivery per (subscribed event, subscription) in the transaction that wrote the
 *   event, so a delivery exists exactly for the changes that committed.
 * - A `monitor` role (reads metrics, nothing else).
 * The functions are created here so the triggers can name them; the routines keep their
 * current definitions.
 */
export class Operability1795510000000 implements MigrationInterface {
  name = 'Operability1795510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    const roles = `ARRAY['requester', 'approver', 'admin', 'monitor']`;
    await q(`ALTER TABLE principals DROP CONSTRAINT principals_roles_check`);
    await q(`ALTER TABLE principals ADD CONSTRAINT principals_roles_check CHECK (roles <@ ${roles})`);
    await q(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_roles_check`);
    await q(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_roles_check CHECK (cardinality(roles) > 0 AND roles <@ ${roles})`);

    // Execution modes.
    await q(`
      CREATE TABLE execution_modes (
        kind text NOT NULL CHECK (kind IN ('action', 'level')),
        key text NOT NULL,
        mode text NOT NULL CHECK (mode IN ('enabled', 'record_only', 'disabled')),
        reason text NOT NULL CHECK (char_length(btrim(reason)) BETWEEN 1 AND 2000),
        changed_by text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        version int4 NOT NULL DEFAULT 1,
        PRIMARY KEY (kind, key),
        CONSTRAINT execution_modes_level_key CHECK (kind <> 'level' OR key IN ('0', '1', '2', '3')),
        CONSTRAINT execution_modes_action_key CHECK (kind <> 'action' OR key ~ '^[A-Za-z0-9._:-]{1,128}$')
      )`);
    await q(`
      CREATE OR REPLACE FUNCTION execution_runs_refuse_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER execution_runs_refuse_disabled BEFORE INSERT ON execution_runs
             FOR EACH ROW EXECUTE FUNCTION execution_runs_refuse_disabled()`);

    // RECORDED: a record-only run, approved and claimed, whose handler was not run.
    await q(`ALTER TABLE execution_runs DROP CONSTRAINT execution_runs_status_check`);
    await q(`ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_status_check CHECK (status IN (
               'BLOCKED', 'RUN', 'REJECTED', 'EXPIRED', 'CLAIMED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED',
               'DEAD_LETTERED', 'RECORDED'))`);
    await q(`INSERT INTO status_transitions (axis, from_status, to_status) VALUES ('run', 'RUN', 'RECORDED')`);
    await q(`CREATE INDEX execution_runs_purgeable_idx ON execution_runs (updated_at)
             WHERE status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'REJECTED', 'EXPIRED', 'RECORDED')`);
    await q(`DROP INDEX execution_runs_ended_idx`);

    // Webhooks.
    await q(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id text NOT NULL CHECK (char_length(project_id) BETWEEN 1 AND 128),
        url text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000 AND url ~ '^https?://'),
        event_types text[] NOT NULL CHECK (cardinality(event_types) > 0 AND event_types <@ ARRAY[
          'approval.requested', 'approval.decided', 'approval.expired', 'approval.invalidated',
          'run.started', 'run.succeeded', 'run.failed', 'run.dead_lettered', 'run.cancelled', 'run.recorded',
          'grant.minted', 'grant.consumed', 'grant.revoked']),
        description text CHECK (description IS NULL OR char_length(description) <= 500),
        secret text NOT NULL CHECK (char_length(secret) >= 32),
        previous_secret text,
        previous_secret_until timestamptz,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version int4 NOT NULL DEFAULT 1,
        consecutive_failures int4 NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        paused_until timestamptz,
        CONSTRAINT webhook_subscriptions_previous_pair CHECK ((previous_secret IS NULL) = (previous_secret_until IS NULL))
      )`);
    await q(`CREATE INDEX webhook_subscriptions_project_idx ON webhook_subscriptions (project_id) WHERE status = 'active'`);
    await q(`
      CREATE TABLE webhook_deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
        subscription_id uuid NOT NULL,
        audit_event_id bigint NOT NULL,
        event_type text NOT NULL,
        order_key text NOT NULL,
        payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
        attempts int4 NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        available_at timestamptz NOT NULL DEFAULT now(),
        worker_id text,
        lease_expires_at timestamptz,
        last_status_code int4 CHECK (last_status_code IS NULL OR last_status_code BETWEEN 100 AND 599),
        last_error text CHECK (last_error IS NULL OR char_length(last_error) <= 1000),
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_deliveries_one_per_event UNIQUE (subscription_id, audit_event_id),
        CONSTRAINT webhook_deliveries_lease CHECK ((status = 'delivering') = (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CONSTRAINT webhook_deliveries_delivered_at CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
      )`);
    await q(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (subscription_id, available_at, id) WHERE status IN ('pending', 'delivering')`,
    );
    await q(
      `CREATE INDEX webhook_deliveries_order ON webhook_deliveries (subscription_id, order_key, id) WHERE status IN ('pending', 'delivering')`,
    );
    await q(`CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id)`);
    // No foreign key to webhook_subscriptions (see routine notifications.references-guard): a
    // subscription is never deleted, and a delivery names one that exists.
    await q(`
      CREATE OR REPLACE FUNCTION webhook_subscriptions_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'refused' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q(`CREATE TRIGGER webhook_subscriptions_refuse_delete BEFORE DELETE ON webhook_subscriptions
             FOR EACH ROW EXECUTE FUNCTION webhook_subscriptions_refuse_delete()`);
    await q(`CREATE TRIGGER webhook_subscriptions_refuse_truncate BEFORE TRUNCATE ON webhook_subscriptions
             FOR EACH STATEMENT EXECUTE FUNCTION webhook_subscriptions_refuse_delete()`);
    await q(`
      CREATE OR REPLACE FUNCTION webhook_deliveries_require_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER webhook_deliveries_require_subscription BEFORE INSERT OR UPDATE OF subscription_id ON webhook_deliveries
             FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_require_subscription()`);
    await q(`
      CREATE OR REPLACE FUNCTION webhook_outbox_fill() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RETURN NULL;
      END $$`);
    await q(`CREATE TRIGGER audit_events_webhook_outbox AFTER INSERT ON audit_events
             REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION webhook_outbox_fill()`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
