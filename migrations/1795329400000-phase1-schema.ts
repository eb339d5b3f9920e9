import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Phase 1 (the LOCK): API keys, execution runs that start BLOCKED, one approval per run, an
 * append-only audit trail, and the legal status transitions, all stated in PostgreSQL so that
 * they hold even when application code is wrong.
 */
export class Phase1Schema1795329400000 implements MigrationInterface {
  name = 'Phase1Schema1795329400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
        key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
        key_prefix text NOT NULL CHECK (char_length(key_prefix) BETWEEN 1 AND 16),
        roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['requester', 'approver', 'admin']),
        project_ids text[] NOT NULL CHECK (cardinality(project_ids) > 0),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CONSTRAINT api_keys_key_hash_uniq UNIQUE (key_hash)
      )`);

    await queryRunner.query(`
      CREATE TABLE execution_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id text NOT NULL CHECK (project_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
        idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255 AND idempotency_key !~ '[[:cntrl:]]'),
        action text NOT NULL CHECK (action ~ '^[A-Za-z0-9._:-]{1,128}$'),
        params jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
        targets jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(targets) = 'array'),
        fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
        status text NOT NULL DEFAULT 'BLOCKED' CHECK (status IN ('BLOCKED', 'RUN', 'REJECTED')),
        blocked_reason text CHECK (blocked_reason IN ('approval_pending')),
        requested_by text NOT NULL,
        version integer NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT execution_runs_project_key_uniq UNIQUE (project_id, idempotency_key),
        CONSTRAINT execution_runs_blocked_reason_chk CHECK ((status = 'BLOCKED') = (blocked_reason IS NOT NULL))
      )`);

    await queryRunner.query(`
      CREATE TABLE approvals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        execution_run_id uuid NOT NULL REFERENCES execution_runs (id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
        reason text CHECK (reason IS NULL OR char_length(reason) BETWEEN 1 AND 2000),
        decided_by text,
        decided_at timestamptz,
        version integer NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT approvals_run_uniq UNIQUE (execution_run_id),
        CONSTRAINT approvals_rejection_reason_chk CHECK (status <> 'rejected' OR (reason IS NOT NULL AND btrim(reason) <> '')),
        CONSTRAINT approvals_decision_chk CHECK (
          (status = 'pending') = (decided_by IS NULL) AND (decided_by IS NULL) = (decided_at IS NULL)
        )
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX approvals_one_pending_per_run ON approvals (execution_run_id) WHERE status = 'pending'`);

    await queryRunner.query(`
      CREATE TABLE audit_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL DEFAULT gen_random_uuid(),
        event_type text NOT NULL CHECK (event_type ~ '^[a-z_]+(\\.[a-z_]+)+$'),
        actor text NOT NULL CHECK (char_length(actor) > 0),
        request_id text,
        project_id text,
        execution_run_id uuid,
        data jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
        occurred_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT audit_events_event_id_uniq UNIQUE (event_id)
      )`);
    await queryRunner.query(`CREATE INDEX audit_events_run_idx ON audit_events (execution_run_id, id) WHERE execution_run_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX audit_events_project_idx ON audit_events (project_id, id)`);
    await queryRunner.query(`
      CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`);
    await queryRunner.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`);

    // The legal transitions, per status axis. The FSM service in code holds the same table
    // (a test compares them); the triggers below make an illegal UPDATE fail even if code is wrong.
    await queryRunner.query(`
      CREATE TABLE status_transitions (
        axis text NOT NULL CHECK (axis IN ('run', 'approval')),
        from_status text NOT NULL,
        to_status text NOT NULL,
        PRIMARY KEY (axis, from_status, to_status),
        CHECK (from_status <> to_status)
      )`);
    await queryRunner.query(`
      INSERT INTO status_transitions (axis, from_status, to_status) VALUES
        ('run', 'BLOCKED', 'RUN'),
        ('run', 'BLOCKED', 'REJECTED'),
        ('approval', 'pending', 'approved'),
        ('approval', 'pending', 'rejected')`);

    await queryRunner.query(`
      CREATE FUNCTION execution_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.status <> 'BLOCKED' OR NEW.blocked_reason IS DISTINCT FROM 'approval_pending' THEN
            RAISE EXCEPTION 'a new run must start BLOCKED / approval_pending' USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END IF;
        IF NEW.id <> OLD.id OR NEW.project_id <> OLD.project_id OR NEW.idempotency_key <> OLD.idempotency_key
           OR NEW.requested_by <> OLD.requested_by OR NEW.created_at <> OLD.created_at THEN
          RAISE EXCEPTION 'a run''s identity is immutable' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status THEN
          IF NOT EXISTS (SELECT 1 FROM status_transitions
                         WHERE axis = 'run' AND from_status = OLD.status AND to_status = NEW.status) THEN
            RAISE EXCEPTION 'illegal run transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
          END IF;
          IF NEW.status = 'RUN' AND NOT EXISTS (SELECT 1 FROM approvals
                         WHERE execution_run_id = NEW.id AND status = 'approved') THEN
            RAISE EXCEPTION 'run % cannot move to RUN without an approved approval', NEW.id USING ERRCODE = 'check_violation';
          END IF;
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER execution_runs_guard BEFORE INSERT OR UPDATE ON execution_runs
      FOR EACH ROW EXECUTE FUNCTION execution_runs_guard()`);

    await queryRunner.query(`
      CREATE FUNCTION approvals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.status <> 'pending' THEN
            RAISE EXCEPTION 'a new approval must start pending' USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END IF;
        IF NEW.execution_run_id <> OLD.execution_run_id THEN
          RAISE EXCEPTION 'an approval cannot move to another run' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (SELECT 1 FROM status_transitions
             WHERE axis = 'approval' AND from_status = OLD.status AND to_status = NEW.status) THEN
          RAISE EXCEPTION 'illegal approval transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER approvals_guard BEFORE INSERT OR UPDATE ON approvals
      FOR EACH ROW EXECUTE FUNCTION approvals_guard()`);

    // 1:1 — every run has its approval by the time its transaction commits.
    await queryRunner.query(`
      CREATE FUNCTION execution_runs_require_approval() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM approvals WHERE execution_run_id = NEW.id) THEN
          RAISE EXCEPTION 'run % has no approval', NEW.id USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER execution_runs_require_approval AFTER INSERT ON execution_runs
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION execution_runs_require_approval()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE approvals`);
    await queryRunner.query(`DROP TABLE execution_runs`);
    await queryRunner.query(`DROP FUNCTION execution_runs_guard`);
    await queryRunner.query(`DROP FUNCTION execution_runs_require_approval`);
    await queryRunner.query(`DROP FUNCTION approvals_guard`);
    await queryRunner.query(`DROP TABLE status_transitions`);
    await queryRunner.query(`DROP TABLE audit_events`);
    await queryRunner.query(`DROP FUNCTION audit_events_refuse_change`);
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
