import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Governance: action-type policy in the database, approval lanes with quorum votes, expiry,
 * deferral and plan binding, single-use build grants, and a hash chain over the audit trail.
 */
export class Governance1795336000000 implements MigrationInterface {
  name = 'Governance1795336000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);

    // --- policy -------------------------------------------------------------------------
    await q(`
      CREATE TABLE policy_versions (
        hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
        document jsonb NOT NULL CHECK (jsonb_typeof(document) = 'object'),
        loaded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q(`
      CREATE TABLE action_types (
        code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9._:-]{1,128}$'),
        description text NOT NULL DEFAULT '',
        approval_level smallint NOT NULL CHECK (approval_level BETWEEN 0 AND 3),
        required_approvals smallint NOT NULL CHECK (required_approvals BETWEEN 0 AND 10),
        approver_roles text[] NOT NULL CHECK (approver_roles <@ ARRAY['requester', 'approver', 'admin']),
        approval_ttl_seconds integer NOT NULL CHECK (approval_ttl_seconds > 0),
        allowed_scopes jsonb NOT NULL CHECK (jsonb_typeof(allowed_scopes) = 'object'),
        mints_grant boolean NOT NULL DEFAULT false,
        policy_hash text NOT NULL REFERENCES policy_versions (hash),
        retired_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((approval_level = 0) = (required_approvals = 0)),
        CHECK (approval_level = 0 OR cardinality(approver_roles) > 0)
      )`);

    // --- runs ---------------------------------------------------------------------------
    await q(`ALTER TABLE execution_runs DROP CONSTRAINT execution_runs_status_check`);
    await q(`ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_status_check CHECK (status IN ('BLOCKED', 'RUN', 'REJECTED', 'EXPIRED'))`);
    await q(`ALTER TABLE execution_runs DROP CONSTRAINT execution_runs_blocked_reason_check`);
    await q(`ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_blocked_reason_check CHECK (blocked_reason IN ('approval_pending', 'approval_deferred'))`);
    await q(`ALTER TABLE execution_runs ADD COLUMN approval_level smallint NOT NULL DEFAULT 1 CHECK (approval_level BETWEEN 0 AND 3)`);
    await q(`ALTER TABLE execution_runs ADD COLUMN plan_hash text CHECK (plan_hash ~ '^[0-9a-f]{64}$')`);
    await q(`UPDATE execution_runs SET plan_hash = fingerprint`);
    await q(`ALTER TABLE execution_runs ALTER COLUMN plan_hash SET NOT NULL`);
    await q(`ALTER TABLE execution_runs ADD COLUMN policy_hash text REFERENCES policy_versions (hash)`);
    // Fail closed in the database too: no action type, no run. NOT VALID: runs from before
    // policies existed are left as they are; every new or changed row is checked.
    await q(`ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_action_fk FOREIGN KEY (action) REFERENCES action_types (code) NOT VALID`);

    // --- approval lanes -----------------------------------------------------------------
    await q(`ALTER TABLE approvals DROP CONSTRAINT approvals_run_uniq`);
    await q(`ALTER TABLE approvals ADD COLUMN lane integer NOT NULL DEFAULT 1 CHECK (lane > 0)`);
    await q(`ALTER TABLE approvals ADD CONSTRAINT approvals_run_lane_uniq UNIQUE (execution_run_id, lane)`);
    await q(`ALTER TABLE approvals DROP CONSTRAINT approvals_status_check`);
    await q(`ALTER TABLE approvals ADD CONSTRAINT approvals_status_check
             CHECK (status IN ('pending', 'approved', 'rejected', 'deferred', 'expired', 'invalidated'))`);
    await q(`ALTER TABLE approvals ADD COLUMN plan_hash text CHECK (plan_hash ~ '^[0-9a-f]{64}$')`);
    await q(`UPDATE approvals a SET plan_hash = r.fingerprint FROM execution_runs r WHERE r.id = a.execution_run_id`);
    await q(`ALTER TABLE approvals ALTER COLUMN plan_hash SET NOT NULL`);
    await q(`ALTER TABLE approvals ADD COLUMN policy_hash text REFERENCES policy_versions (hash)`);
    await q(`ALTER TABLE approvals ADD COLUMN required_approvals smallint NOT NULL DEFAULT 1 CHECK (required_approvals BETWEEN 0 AND 10)`);
    await q(`ALTER TABLE approvals ADD COLUMN expires_at timestamptz`);
    await q(`UPDATE approvals SET expires_at = created_at + interval '1 day'`);
    await q(`ALTER TABLE approvals ALTER COLUMN expires_at SET NOT NULL`);
    await q(`ALTER TABLE approvals ADD CONSTRAINT approvals_expiry_chk CHECK (expires_at > created_at)`);
    await q(`ALTER TABLE approvals ADD COLUMN deferred_until timestamptz`);
    await q(`ALTER TABLE approvals ADD CONSTRAINT approvals_deferral_reason_chk CHECK (status <> 'deferred' OR (reason IS NOT NULL AND btrim(reason) <> ''))`);
    await q(`ALTER TABLE approvals ADD CONSTRAINT approvals_deferred_until_chk CHECK (deferred_until IS NULL OR status = 'deferred')`);
    // One open lane per run: at most one pending or approved approval at a time.
    await q(`CREATE UNIQUE INDEX approvals_one_open_lane ON approvals (execution_run_id) WHERE status IN ('pending', 'approved')`);
    await q(`CREATE INDEX approvals_expiry_idx ON approvals (expires_at) WHERE status IN ('pending', 'approved')`);

    // --- votes --------------------------------------------------------------------------
    await q(`
      CREATE TABLE approval_decisions (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        approval_id uuid NOT NULL REFERENCES approvals (id),
        execution_run_id uuid NOT NULL REFERENCES execution_runs (id),
        principal_id text NOT NULL,
        decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
        reason text CHECK (reason IS NULL OR char_length(reason) BETWEEN 1 AND 2000),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT approval_decisions_one_vote UNIQUE (approval_id, principal_id),
        CONSTRAINT approval_decisions_reject_reason_chk CHECK (decision <> 'reject' OR (reason IS NOT NULL AND btrim(reason) <> ''))
      )`);
    await q(`
      CREATE FUNCTION approval_decisions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        lane approvals%ROWTYPE;
      BEGIN
        IF TG_OP <> 'INSERT' THEN
          RAISE EXCEPTION 'approval_decisions is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT * INTO lane FROM approvals WHERE id = NEW.approval_id;
        IF lane.execution_run_id <> NEW.execution_run_id THEN
          RAISE EXCEPTION 'a vote must name the run of its approval' USING ERRCODE = 'check_violation';
        END IF;
        IF lane.status <> 'pending' THEN
          RAISE EXCEPTION 'approval % is % and takes no votes', lane.id, lane.status USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM execution_runs WHERE id = NEW.execution_run_id AND requested_by = NEW.principal_id) THEN
          RAISE EXCEPTION 'the requester of a run may not vote on it' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER approval_decisions_guard BEFORE INSERT OR UPDATE OR DELETE ON approval_decisions
             FOR EACH ROW EXECUTE FUNCTION approval_decisions_guard()`);

    // --- transitions --------------------------------------------------------------------
    await q(`
      INSERT INTO status_transitions (axis, from_status, to_status) VALUES
        ('run', 'BLOCKED', 'EXPIRED'),
        ('run', 'RUN', 'EXPIRED'),
        ('run', 'RUN', 'BLOCKED'),
        ('approval', 'pending', 'deferred'),
        ('approval', 'pending', 'expired'),
        ('approval', 'pending', 'invalidated'),
        ('approval', 'approved', 'invalidated'),
        ('approval', 'approved', 'expired')`);

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
          IF NEW.status = 'RUN' AND NOT EXISTS (SELECT 1 FROM approvals
                         WHERE execution_run_id = NEW.id AND status = 'approved' AND plan_hash = NEW.plan_hash) THEN
            RAISE EXCEPTION 'run % cannot move to RUN without an approval of its current plan', NEW.id USING ERRCODE = 'check_violation';
          END IF;
        END IF;
        RETURN NEW;
      END $$`);

    await q(`
      CREATE OR REPLACE FUNCTION approvals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.status <> 'pending' THEN
            RAISE EXCEPTION 'a new approval must start pending' USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END IF;
        IF NEW.execution_run_id <> OLD.execution_run_id OR NEW.lane <> OLD.lane OR NEW.plan_hash <> OLD.plan_hash
           OR NEW.required_approvals <> OLD.required_approvals OR NEW.expires_at <> OLD.expires_at THEN
          RAISE EXCEPTION 'an approval''s run, lane, plan, quorum and expiry are immutable' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status THEN
          IF NOT EXISTS (SELECT 1 FROM status_transitions
                         WHERE axis = 'approval' AND from_status = OLD.status AND to_status = NEW.status) THEN
            RAISE EXCEPTION 'illegal approval transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
          END IF;
          -- Quorum, in the database: approved only with enough distinct approving votes.
          IF NEW.status = 'approved' AND (SELECT count(*) FROM approval_decisions
               WHERE approval_id = NEW.id AND decision = 'approve') < NEW.required_approvals THEN
            RAISE EXCEPTION 'approval % has not reached its quorum of %', NEW.id, NEW.required_approvals USING ERRCODE = 'check_violation';
          END IF;
        END IF;
        RETURN NEW;
      END $$`);

    // --- grants (seed 004) ---------------------------------------------------------------
    await q(`
      CREATE TABLE governance_grants (
        auth_code text PRIMARY KEY CHECK (auth_code ~ '^GBA-[A-Za-z0-9-]{1,64}$'),
        execution_run_id uuid NOT NULL REFERENCES execution_runs (id),
        approval_id uuid NOT NULL REFERENCES approvals (id),
        project_id text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'consumed', 'revoked', 'expired')),
        scope jsonb NOT NULL CHECK (jsonb_typeof(scope) = 'object' AND scope ? 'target' AND scope ? 'namespace'),
        approval_ref jsonb NOT NULL CHECK (jsonb_typeof(approval_ref) = 'object'
          AND approval_ref ? 'approval_id' AND approval_ref ? 'quorum' AND approval_ref ? 'plan_hash' AND approval_ref ? 'policy_hash'),
        evidence jsonb NOT NULL CHECK (jsonb_typeof(evidence) = 'object'),
        rollback_plan_ref text NOT NULL CHECK (char_length(rollback_plan_ref) BETWEEN 1 AND 255),
        commit_allowed boolean NOT NULL DEFAULT false CHECK (commit_allowed = false),
        ttl_seconds integer NOT NULL CHECK (ttl_seconds BETWEEN 60 AND 86400),
        granted_by text NOT NULL,
        granted_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        consumed_at timestamptz,
        consumed_by text,
        revoked_at timestamptz,
        revoked_by text,
        revoked_reason text,
        CONSTRAINT chk_expiry CHECK (expires_at > granted_at),
        CONSTRAINT chk_consumed_pair CHECK ((consumed_at IS NULL) = (consumed_by IS NULL) AND (status = 'consumed') = (consumed_at IS NOT NULL)),
        CONSTRAINT chk_revoked_pair CHECK (
          (revoked_at IS NULL AND revoked_by IS NULL AND revoked_reason IS NULL)
          OR (revoked_at IS NOT NULL AND revoked_by IS NOT NULL AND revoked_reason IS NOT NULL AND btrim(revoked_reason) <> '')),
        CONSTRAINT chk_revoked_status CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
      )`);
    await q(`CREATE UNIQUE INDEX governance_grants_one_active_per_target ON governance_grants ((scope ->> 'target')) WHERE status = 'active'`);
    await q(`CREATE INDEX governance_grants_run_idx ON governance_grants (execution_run_id)`);
    await q(`ALTER TABLE status_transitions DROP CONSTRAINT status_transitions_axis_check`);
    await q(`ALTER TABLE status_transitions ADD CONSTRAINT status_transitions_axis_check CHECK (axis IN ('run', 'approval', 'grant'))`);
    await q(`
      INSERT INTO status_transitions (axis, from_status, to_status) VALUES
        ('grant', 'active', 'consumed'), ('grant', 'active', 'revoked'), ('grant', 'active', 'expired')`);
    await q(`
      CREATE FUNCTION governance_grants_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'grants are never deleted; revoke them' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'INSERT' THEN
          IF NEW.status <> 'active' THEN
            RAISE EXCEPTION 'a grant is minted active' USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END IF;
        IF NEW.auth_code <> OLD.auth_code OR NEW.scope <> OLD.scope OR NEW.approval_ref <> OLD.approval_ref
           OR NEW.expires_at <> OLD.expires_at OR NEW.granted_at <> OLD.granted_at OR NEW.execution_run_id <> OLD.execution_run_id THEN
          RAISE EXCEPTION 'a grant''s identity, scope and authority are immutable' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (SELECT 1 FROM status_transitions
             WHERE axis = 'grant' AND from_status = OLD.status AND to_status = NEW.status) THEN
          RAISE EXCEPTION 'illegal grant transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER governance_grants_guard BEFORE INSERT OR UPDATE OR DELETE ON governance_grants
             FOR EACH ROW EXECUTE FUNCTION governance_grants_guard()`);

    // --- the audit hash chain -----------------------------------------------------------
    await q(`ALTER TABLE audit_events ADD COLUMN chain_key text`);
    await q(`ALTER TABLE audit_events ADD COLUMN prev_hash text CHECK (prev_hash ~ '^[0-9a-f]{64}$')`);
    await q(`ALTER TABLE audit_events ADD COLUMN hash text CHECK (hash ~ '^[0-9a-f]{64}$')`);
    // Events written before chaining existed stay unchained (the append-only trigger keeps them
    // as they are); every later event must be chained, and a chain can never fork.
    await q(`
      DO $$
      DECLARE watermark bigint;
      BEGIN
        SELECT coalesce(max(id), 0) INTO watermark FROM audit_events;
        EXECUTE format('ALTER TABLE audit_events ADD CONSTRAINT audit_events_chained_chk CHECK (id <= %s OR (chain_key IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL))', watermark);
      END $$`);
    await q(`CREATE UNIQUE INDEX audit_events_chain_no_fork ON audit_events (chain_key, prev_hash)`);
    await q(`CREATE INDEX audit_events_chain_idx ON audit_events (chain_key, id)`);
    await q(`CREATE INDEX audit_events_type_idx ON audit_events (event_type, id)`);
    // Every event has a chain now; a run's trail is read through (chain_key, id), and event_id
    // is a random UUID, so these two indexes only cost writes.
    await q(`DROP INDEX audit_events_run_idx`);
    await q(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_event_id_uniq`);
    // Appends a command's events in order, each linked to the head of its chain. The canonical
    // JSON of each event is made by the application (RFC 8785) and hashed here with the link.
    await q(`
      CREATE FUNCTION audit_append(events jsonb) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        e jsonb;
        prev text;
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
                  encode(sha256(convert_to(prev || (e ->> 'canonical'), 'UTF8')), 'hex'));
        END LOOP;
      END $$`);
  }

  async down(): Promise<void> {
    throw new Error('Governance1795336000000 is not reversible: it would drop votes, grants and the audit chain');
  }
}
