import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Execution: approved runs are claimed by workers under leases, carried out step by step,
 * retried with backoff, dead-lettered after max_attempts, time-limited, cancellable, and hold
 * a lease-bound lock on each of their targets. The rules are stated here as well as in code.
 */
export class Execution1795340000000 implements MigrationInterface {
  name = 'Execution1795340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);

    // --- what the policy says about execution ----------------------------------------
    await q(`ALTER TABLE action_types ADD COLUMN handler text NOT NULL DEFAULT 'noop' CHECK (handler ~ '^[A-Za-z0-9._:-]{1,128}$')`);
    await q(`ALTER TABLE action_types ADD COLUMN immediate boolean NOT NULL DEFAULT false`);
    await q(`ALTER TABLE action_types ADD COLUMN max_attempts smallint NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 10)`);
    await q(`ALTER TABLE action_types ADD COLUMN sla_class text NOT NULL DEFAULT 'standard'`);
    await q(`ALTER TABLE action_types ADD COLUMN allowed_urls text[] NOT NULL DEFAULT '{}'`);
    await q(`ALTER TABLE action_types ADD CONSTRAINT action_types_immediate_read_only CHECK (NOT immediate OR approval_level = 0)`);

    // --- runs: the execution status axis, leases, attempts, cancellation, results -------
    await q(`ALTER TABLE execution_runs DROP CONSTRAINT execution_runs_status_check`);
    await q(`ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_status_check CHECK (status IN (
               'BLOCKED', 'RUN', 'REJECTED', 'EXPIRED', 'CLAIMED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'DEAD_LETTERED'))`);
    await q(`ALTER TABLE execution_runs
               ADD COLUMN attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
               ADD COLUMN max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
               ADD COLUMN available_at timestamptz NOT NULL DEFAULT now(),
               ADD COLUMN worker_id text,
               ADD COLUMN lease_expires_at timestamptz,
               ADD COLUMN lease_renewals integer NOT NULL DEFAULT 0 CHECK (lease_renewals >= 0),
               ADD COLUMN sla_class text NOT NULL DEFAULT 'standard',
               ADD COLUMN timeout_seconds integer CHECK (timeout_seconds > 0),
               ADD COLUMN deadline_at timestamptz,
               ADD COLUMN started_at timestamptz,
               ADD COLUMN finished_at timestamptz,
               ADD COLUMN cancel_requested_at timestamptz,
               ADD COLUMN cancel_requested_by text,
               ADD COLUMN cancel_reason text CHECK (cancel_reason IS NULL OR char_length(cancel_reason) BETWEEN 1 AND 2000),
               ADD COLUMN cancelled_by text,
               ADD COLUMN cancelled_at timestamptz,
               ADD COLUMN cancel_checks_performed integer NOT NULL DEFAULT 0 CHECK (cancel_checks_performed >= 0),
               ADD COLUMN result jsonb,
               ADD COLUMN last_error text CHECK (last_error IS NULL OR char_length(last_error) <= 2000)`);
    await q(`ALTER TABLE execution_runs
               ADD CONSTRAINT execution_runs_lease_pair CHECK ((worker_id IS NULL) = (lease_expires_at IS NULL)),
               ADD CONSTRAINT execution_runs_leased_while_working CHECK ((status IN ('CLAIMED', 'RUNNING')) = (worker_id IS NOT NULL)),
               ADD CONSTRAINT execution_runs_cancelled_pair CHECK ((cancelled_by IS NULL) = (cancelled_at IS NULL)),
               ADD CONSTRAINT execution_runs_cancelled_status CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL)),
               ADD CONSTRAINT execution_runs_cancel_request_pair CHECK ((cancel_requested_at IS NULL) = (cancel_requested_by IS NULL)),
               ADD CONSTRAINT execution_runs_result_cap CHECK (result IS NULL OR octet_length(result::text) <= 10240),
               ADD CONSTRAINT execution_runs_attempts_cap CHECK (attempt <= max_attempts)`);
    await q(`CREATE INDEX execution_runs_claimable ON execution_runs (available_at) WHERE status = 'RUN'`);
    // Level 3 (step by step): a lane may approve one step; the run pauses, BLOCKED, before each next step.
    await q(`ALTER TABLE approvals ADD COLUMN step_index integer CHECK (step_index >= 0)`);
    // An approval whose step (level 3) has been carried out is closed as executed (seed 001's name).
    await q(`ALTER TABLE approvals DROP CONSTRAINT approvals_status_check`);
    await q(`ALTER TABLE approvals ADD CONSTRAINT approvals_status_check
             CHECK (status IN ('pending', 'approved', 'rejected', 'deferred', 'expired', 'invalidated', 'executed'))`);
    await q(`INSERT INTO status_transitions (axis, from_status, to_status) VALUES ('approval', 'approved', 'executed')`);
    await q(`ALTER TABLE execution_runs DROP CONSTRAINT execution_runs_blocked_reason_check`);
    await q(`ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_blocked_reason_check CHECK (blocked_reason IN ('approval_pending', 'approval_deferred', 'step_approval_pending'))`);
    await q(`CREATE INDEX execution_runs_leased ON execution_runs (lease_expires_at) WHERE status IN ('CLAIMED', 'RUNNING')`);

    await q(`
      INSERT INTO status_transitions (axis, from_status, to_status) VALUES
        ('run', 'RUN', 'CLAIMED'),
        ('run', 'CLAIMED', 'RUNNING'),
        ('run', 'CLAIMED', 'RUN'),
        ('run', 'RUNNING', 'RUN'),
        ('run', 'RUNNING', 'BLOCKED'),
        ('run', 'RUNNING', 'SUCCEEDED'),
        ('run', 'RUNNING', 'FAILED'),
        ('run', 'RUNNING', 'TIMED_OUT'),
        ('run', 'RUNNING', 'DEAD_LETTERED'),
        ('run', 'CLAIMED', 'DEAD_LETTERED'),
        ('run', 'CLAIMED', 'FAILED'),
        ('run', 'DEAD_LETTERED', 'RUN'),
        ('run', 'BLOCKED', 'CANCELLED'),
        ('run', 'RUN', 'CANCELLED'),
        ('run', 'CLAIMED', 'CANCELLED'),
        ('run', 'RUNNING', 'CANCELLED')`);
    await q(`ALTER TABLE status_transitions DROP CONSTRAINT status_transitions_axis_check`);
    await q(`ALTER TABLE status_transitions ADD CONSTRAINT status_transitions_axis_check CHECK (axis IN ('run', 'approval', 'grant', 'step'))`);
    await q(`
      INSERT INTO status_transitions (axis, from_status, to_status) VALUES
        ('step', 'running', 'succeeded'), ('step', 'running', 'skipped'), ('step', 'running', 'failed'),
        ('step', 'running', 'timed_out'), ('step', 'running', 'cancelled'), ('step', 'running', 'abandoned')`);

    // Nothing is claimed, run or resumed without an approval of the run's current plan.
    await q(`
      CREATE OR REPLACE FUNCTION execution_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.status <> 'BLOCKED' OR NEW.blocked_reason IS DISTINCT FROM 'approval_pending' THEN
            RAISE EXCEPTION 'a new run must start BLOCKED / approval_pending' USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END IF;
        IF NEW.id <> OLD.id OR NEW.project_id <> OLD.project_id OR NEW.idempotency_key <> OLD.idempotency_key
           OR NEW.requested_by <> OLD.requested_by OR NEW.created_at <> OLD.created_at OR NEW.action <> OLD.action
           OR NEW.fingerprint <> OLD.fingerprint OR NEW.approval_level <> OLD.approval_level THEN
          RAISE EXCEPTION 'a run''s identity is immutable' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.plan_hash <> OLD.plan_hash AND NEW.status <> 'BLOCKED' THEN
          RAISE EXCEPTION 'a run''s plan may change only while it waits for approval' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status THEN
          IF NOT EXISTS (SELECT 1 FROM status_transitions
                         WHERE axis = 'run' AND from_status = OLD.status AND to_status = NEW.status) THEN
            RAISE EXCEPTION 'illegal run transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
          END IF;
          IF NEW.status IN ('RUN', 'CLAIMED', 'RUNNING') AND NOT EXISTS (SELECT 1 FROM approvals
                         WHERE execution_run_id = NEW.id AND status = 'approved' AND plan_hash = NEW.plan_hash) THEN
            RAISE EXCEPTION 'run % cannot move to % without an approval of its current plan', NEW.id, NEW.status USING ERRCODE = 'check_violation';
          END IF;
        END IF;
        RETURN NEW;
      END $$`);
    // A worker is woken by NOTIFY when a run becomes claimable, instead of waiting for a poll.
    await q(`
      CREATE FUNCTION execution_runs_notify_ready() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('execution_runs_ready', NEW.id::text);
        RETURN NULL;
      END $$`);
    await q(`
      CREATE TRIGGER execution_runs_notify_ready AFTER UPDATE OF status ON execution_runs
      FOR EACH ROW WHEN (NEW.status = 'RUN' AND OLD.status IS DISTINCT FROM 'RUN') EXECUTE FUNCTION execution_runs_notify_ready()`);

    // --- steps ---------------------------------------------------------------------------
    await q(`
      CREATE TABLE execution_steps (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        execution_run_id uuid NOT NULL REFERENCES execution_runs (id),
        step_index integer NOT NULL CHECK (step_index >= 0),
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
        attempt integer NOT NULL CHECK (attempt >= 1),
        worker_id text NOT NULL,
        status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'skipped', 'failed', 'timed_out', 'cancelled', 'abandoned')),
        outcome text,
        result jsonb,
        error text CHECK (error IS NULL OR char_length(error) <= 2000),
        version integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT execution_steps_finished_pair CHECK ((status = 'running') = (finished_at IS NULL)),
        CONSTRAINT execution_steps_result_cap CHECK (result IS NULL OR octet_length(result::text) <= 10240),
        CONSTRAINT execution_steps_attempt_uniq UNIQUE (execution_run_id, step_index, attempt)
      )`);
    // A step that succeeded is never run again; a run runs one step at a time.
    await q(`CREATE UNIQUE INDEX execution_steps_done_once ON execution_steps (execution_run_id, step_index) WHERE status IN ('succeeded', 'skipped')`);
    await q(`CREATE UNIQUE INDEX execution_steps_one_running ON execution_steps (execution_run_id) WHERE status = 'running'`);
    await q(`
      CREATE FUNCTION execution_steps_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'execution steps are never deleted' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'INSERT' THEN
          IF NEW.status <> 'running' THEN
            RAISE EXCEPTION 'a step starts running' USING ERRCODE = 'check_violation';
          END IF;
          IF NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = NEW.execution_run_id AND status = 'RUNNING' AND worker_id = NEW.worker_id) THEN
            RAISE EXCEPTION 'only the worker holding run %''s lease may start its steps', NEW.execution_run_id USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END IF;
        IF NEW.execution_run_id <> OLD.execution_run_id OR NEW.step_index <> OLD.step_index OR NEW.attempt <> OLD.attempt THEN
          RAISE EXCEPTION 'a step''s identity is immutable' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (SELECT 1 FROM status_transitions
             WHERE axis = 'step' AND from_status = OLD.status AND to_status = NEW.status) THEN
          RAISE EXCEPTION 'illegal step transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER execution_steps_guard BEFORE INSERT OR UPDATE OR DELETE ON execution_steps FOR EACH ROW EXECUTE FUNCTION execution_steps_guard()`);

    // --- per-asset locks -----------------------------------------------------------------
    await q(`
      CREATE TABLE execution_locks (
        target text PRIMARY KEY CHECK (char_length(target) BETWEEN 1 AND 255),
        execution_run_id uuid NOT NULL REFERENCES execution_runs (id),
        worker_id text NOT NULL,
        acquired_at timestamptz NOT NULL DEFAULT now(),
        lease_expires_at timestamptz NOT NULL
      )`);
    await q(`CREATE INDEX execution_locks_run_idx ON execution_locks (execution_run_id)`);

    // --- dead letters --------------------------------------------------------------------
    await q(`
      CREATE TABLE execution_dlq (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        execution_run_id uuid NOT NULL REFERENCES execution_runs (id),
        project_id text NOT NULL,
        attempts integer NOT NULL CHECK (attempts >= 1),
        last_error text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        redriven_at timestamptz,
        redriven_by text,
        CONSTRAINT execution_dlq_redrive_pair CHECK ((redriven_at IS NULL) = (redriven_by IS NULL))
      )`);
    await q(`CREATE UNIQUE INDEX execution_dlq_one_open ON execution_dlq (execution_run_id) WHERE redriven_at IS NULL`);

    // --- progress: every appended audit event is announced (on commit) to LISTENers, so a
    // client of any API instance sees a run's events as they happen.
    await q(`
      CREATE OR REPLACE FUNCTION audit_append(events jsonb) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        e jsonb;
        prev text;
        new_id bigint;
      BEGIN
        FOR e IN SELECT t.value FROM jsonb_array_elements(events) WITH ORDINALITY AS t(value, n) ORDER BY t.n LOOP
          IF e ->> 'execution_run_id' IS NULL THEN
            PERFORM pg_advisory_xact_lock(hashtextextended(e ->> 'chain_key', 0));
          END IF;
          SELECT hash INTO prev FROM audit_events WHERE chain_key = e ->> 'chain_key' ORDER BY id DESC LIMIT 1;
          prev := coalesce(prev, repeat('0', 64));
          INSERT INTO audit_events (event_id, event_type, actor, request_id, project_id, execution_run_id, data, occurred_at, chain_key, prev_hash, hash)
          VALUES ((e ->> 'event_id')::uuid, e ->> 'event_type', e ->> 'actor', e ->> 'request_id', e ->> 'project_id',
                  (e ->> 'execution_run_id')::uuid, e -> 'data', (e ->> 'occurred_at')::timestamptz, e ->> 'chain_key', prev,
                  encode(sha256(convert_to(prev || (e ->> 'canonical'), 'UTF8')), 'hex'))
          RETURNING id INTO new_id;
          PERFORM pg_notify('audit_events', (e ->> 'chain_key') || ' ' || new_id);
        END LOOP;
      END $$`);

    // --- timeouts: SLA class x action class ----------------------------------------------
    await q(`
      CREATE TABLE timeout_policies (
        sla_class text NOT NULL,
        action_class text NOT NULL,
        timeout_seconds integer NOT NULL CHECK (timeout_seconds BETWEEN 1 AND 86400),
        PRIMARY KEY (sla_class, action_class)
      )`);
    await q(`
      INSERT INTO timeout_policies (sla_class, action_class, timeout_seconds) VALUES
        ('standard', '*', 300), ('critical', '*', 60), ('batch', '*', 3600)`);
  }

  async down(): Promise<void> {
    throw new Error('Execution1795340000000 is not reversible: it would drop steps, locks and dead letters');
  }
}
