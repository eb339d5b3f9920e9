-- The schema the migrations and routines make (npm run schema:snapshot writes it; a test compares).

CREATE TABLE action_types (
  code text NOT NULL,
  description text NOT NULL DEFAULT ''::text,
  approval_level smallint NOT NULL,
  required_approvals smallint NOT NULL,
  approver_roles text[] NOT NULL,
  approval_ttl_seconds integer NOT NULL,
  allowed_scopes jsonb NOT NULL,
  mints_grant boolean NOT NULL DEFAULT false,
  policy_hash text NOT NULL,
  retired_at timestamp with time zone,
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  handler text NOT NULL DEFAULT 'noop'::text,
  immediate boolean NOT NULL DEFAULT false,
  max_attempts smallint NOT NULL DEFAULT 3,
  sla_class text NOT NULL DEFAULT 'standard'::text,
  allowed_urls text[] NOT NULL DEFAULT '{}'::text[],
);

CREATE TABLE api_keys (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  key_hash text NOT NULL,
  key_prefix text NOT NULL,
  created_by text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  revoked_at timestamp with time zone,
  principal_id uuid NOT NULL,
  expires_at timestamp with time zone,
  last_used_at timestamp with time zone,
  revoked_by text,
  revoked_reason text,
  role_grants text[] NOT NULL,
  created_via text,
);

CREATE TABLE approval_decisions (
  id bigint NOT NULL,
  approval_id uuid NOT NULL,
  execution_run_id uuid NOT NULL,
  principal_id text NOT NULL,
  decision text NOT NULL,
  reason text,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  credential text,
);

CREATE TABLE approvals (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  execution_run_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'pending'::text,
  reason text,
  decided_by text,
  decided_at timestamp with time zone,
  version integer NOT NULL DEFAULT 1,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  lane integer NOT NULL DEFAULT 1,
  plan_hash text NOT NULL,
  policy_hash text,
  required_approvals smallint NOT NULL DEFAULT 1,
  expires_at timestamp with time zone NOT NULL,
  deferred_until timestamp with time zone,
  step_index integer,
  opened_by text,
);

CREATE TABLE audit_events (
  id bigint NOT NULL,
  event_id uuid NOT NULL DEFAULT gen_random_uuid(),
  event_type text NOT NULL,
  actor text NOT NULL,
  request_id text,
  project_id text,
  execution_run_id uuid,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurred_at timestamp with time zone NOT NULL DEFAULT now(),
  chain_key text,
  prev_hash text,
  hash text,
  actor_credential text,
);

CREATE TABLE execution_dlq (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  execution_run_id uuid NOT NULL,
  project_id text NOT NULL,
  attempts integer NOT NULL,
  last_error text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  redriven_at timestamp with time zone,
  redriven_by text,
);

CREATE TABLE execution_locks (
  target text NOT NULL,
  execution_run_id uuid NOT NULL,
  worker_id text NOT NULL,
  acquired_at timestamp with time zone NOT NULL DEFAULT now(),
  lease_expires_at timestamp with time zone NOT NULL,
);

CREATE TABLE execution_modes (
  kind text NOT NULL,
  key text NOT NULL,
  mode text NOT NULL,
  reason text NOT NULL,
  changed_by text NOT NULL,
  changed_at timestamp with time zone NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
);

CREATE TABLE execution_runs (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  project_id text NOT NULL,
  idempotency_key text NOT NULL,
  action text NOT NULL,
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  targets jsonb NOT NULL DEFAULT '[]'::jsonb,
  fingerprint text NOT NULL,
  status text NOT NULL DEFAULT 'BLOCKED'::text,
  blocked_reason text,
  requested_by text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  approval_level smallint NOT NULL DEFAULT 1,
  plan_hash text NOT NULL,
  policy_hash text,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3,
  available_at timestamp with time zone NOT NULL DEFAULT now(),
  worker_id text,
  lease_expires_at timestamp with time zone,
  lease_renewals integer NOT NULL DEFAULT 0,
  sla_class text NOT NULL DEFAULT 'standard'::text,
  timeout_seconds integer,
  deadline_at timestamp with time zone,
  started_at timestamp with time zone,
  finished_at timestamp with time zone,
  cancel_requested_at timestamp with time zone,
  cancel_requested_by text,
  cancel_reason text,
  cancelled_by text,
  cancelled_at timestamp with time zone,
  cancel_checks_performed integer NOT NULL DEFAULT 0,
  result jsonb,
  last_error text,
  target_wait_started_at timestamp with time zone,
  requested_via text,
);

CREATE TABLE execution_steps (
  id bigint NOT NULL,
  execution_run_id uuid NOT NULL,
  step_index integer NOT NULL,
  name text NOT NULL,
  attempt integer NOT NULL,
  worker_id text NOT NULL,
  status text NOT NULL DEFAULT 'running'::text,
  outcome text,
  result jsonb,
  error text,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  started_at timestamp with time zone NOT NULL DEFAULT now(),
  finished_at timestamp with time zone,
);

CREATE TABLE governance_grants (
  auth_code text NOT NULL,
  execution_run_id uuid NOT NULL,
  approval_id uuid NOT NULL,
  project_id text NOT NULL,
  status text NOT NULL DEFAULT 'active'::text,
  scope jsonb NOT NULL,
  approval_ref jsonb NOT NULL,
  evidence jsonb NOT NULL,
  rollback_plan_ref text NOT NULL,
  commit_allowed boolean NOT NULL DEFAULT false,
  ttl_seconds integer NOT NULL,
  granted_by text NOT NULL,
  granted_at timestamp with time zone NOT NULL DEFAULT now(),
  expires_at timestamp with time zone NOT NULL,
  consumed_at timestamp with time zone,
  consumed_by text,
  revoked_at timestamp with time zone,
  revoked_by text,
  revoked_reason text,
);

CREATE TABLE policy_versions (
  hash text NOT NULL,
  document jsonb NOT NULL,
  loaded_at timestamp with time zone NOT NULL DEFAULT now(),
);

CREATE TABLE principals (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL,
  name text NOT NULL,
  issuer text,
  subject text,
  created_by text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  role_grants text[] NOT NULL DEFAULT '{}'::text[],
  service_approver boolean NOT NULL DEFAULT false,
  disabled_at timestamp with time zone,
  disabled_by text,
  disabled_reason text,
  last_seen_at timestamp with time zone,
  created_via text,
  acts_for uuid,
  name_shared_before boolean NOT NULL DEFAULT false,
);

CREATE TABLE run_plan_changes (
  id bigint NOT NULL,
  execution_run_id uuid NOT NULL,
  old_plan_hash text NOT NULL,
  new_plan_hash text NOT NULL,
  old_params jsonb NOT NULL,
  old_targets jsonb NOT NULL,
  changed_by text NOT NULL,
  changed_at timestamp with time zone NOT NULL DEFAULT now(),
);

CREATE TABLE schema_checksums (
  kind text NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  recorded_at timestamp with time zone NOT NULL DEFAULT now(),
);

CREATE TABLE schema_migrations (
  id integer NOT NULL DEFAULT nextval('schema_migrations_id_seq'::regclass),
  timestamp bigint NOT NULL,
  name character varying NOT NULL,
);

CREATE TABLE timeout_policies (
  sla_class text NOT NULL,
  action_class text NOT NULL,
  timeout_seconds integer NOT NULL,
);

CREATE TABLE webhook_deliveries (
  id bigint NOT NULL,
  delivery_id uuid NOT NULL DEFAULT gen_random_uuid(),
  subscription_id uuid NOT NULL,
  audit_event_id bigint NOT NULL,
  event_type text NOT NULL,
  order_key text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending'::text,
  attempts integer NOT NULL DEFAULT 0,
  available_at timestamp with time zone NOT NULL DEFAULT now(),
  worker_id text,
  lease_expires_at timestamp with time zone,
  last_status_code integer,
  last_error text,
  last_attempt_at timestamp with time zone,
  delivered_at timestamp with time zone,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
);

CREATE TABLE webhook_retired_secrets (
  subscription_id uuid NOT NULL,
  slot smallint NOT NULL,
  secret text NOT NULL,
  valid_until timestamp with time zone NOT NULL,
);

CREATE TABLE webhook_subscriptions (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  project_id text NOT NULL,
  url text NOT NULL,
  event_types text[] NOT NULL,
  description text,
  secret text NOT NULL,
  status text NOT NULL DEFAULT 'active'::text,
  created_by text NOT NULL,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  consecutive_failures integer NOT NULL DEFAULT 0,
  paused_until timestamp with time zone,
);

-- constraints
ALTER TABLE action_types ADD CONSTRAINT action_types_allowed_scopes_check CHECK ((jsonb_typeof(allowed_scopes) = 'object'::text));
ALTER TABLE action_types ADD CONSTRAINT action_types_approval_level_check CHECK (((approval_level >= 0) AND (approval_level <= 3)));
ALTER TABLE action_types ADD CONSTRAINT action_types_approval_ttl_seconds_check CHECK ((approval_ttl_seconds > 0));
ALTER TABLE action_types ADD CONSTRAINT action_types_approver_roles_check CHECK ((approver_roles <@ ARRAY['requester'::text, 'approver'::text, 'admin'::text]));
ALTER TABLE action_types ADD CONSTRAINT action_types_check CHECK (((approval_level = 0) = (required_approvals = 0)));
ALTER TABLE action_types ADD CONSTRAINT action_types_check1 CHECK (((approval_level = 0) OR (cardinality(approver_roles) > 0)));
ALTER TABLE action_types ADD CONSTRAINT action_types_code_check CHECK ((code ~ '^[A-Za-z0-9._:-]{1,128}$'::text));
ALTER TABLE action_types ADD CONSTRAINT action_types_handler_check CHECK ((handler ~ '^[A-Za-z0-9._:-]{1,128}$'::text));
ALTER TABLE action_types ADD CONSTRAINT action_types_immediate_read_only CHECK (((NOT immediate) OR (approval_level = 0)));
ALTER TABLE action_types ADD CONSTRAINT action_types_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 10)));
ALTER TABLE action_types ADD CONSTRAINT action_types_pkey PRIMARY KEY (code);
ALTER TABLE action_types ADD CONSTRAINT action_types_policy_hash_fkey FOREIGN KEY (policy_hash) REFERENCES policy_versions(hash);
ALTER TABLE action_types ADD CONSTRAINT action_types_required_approvals_check CHECK (((required_approvals >= 0) AND (required_approvals <= 10)));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_created_via_check CHECK (((created_via IS NULL) OR ((char_length(created_via) >= 1) AND (char_length(created_via) <= 300))));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_hash_check CHECK ((key_hash ~ '^[0-9a-f]{64}$'::text));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_hash_uniq UNIQUE (key_hash);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_prefix_check CHECK (((char_length(key_prefix) >= 1) AND (char_length(key_prefix) <= 16)));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 128)));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_principal_id_fkey FOREIGN KEY (principal_id) REFERENCES principals(id);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_revocation_after_revoked CHECK (((revoked_at IS NOT NULL) OR ((revoked_by IS NULL) AND (revoked_reason IS NULL))));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_revoked_reason_check CHECK (((revoked_reason IS NULL) OR ((char_length(revoked_reason) >= 1) AND (char_length(revoked_reason) <= 2000))));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_grants_check CHECK (((cardinality(role_grants) > 0) AND (array_position(role_grants, NULL::text) IS NULL) AND ((cardinality(role_grants) = 0) OR (array_to_string(role_grants, ','::text) ~ '^(requester|approver|admin|monitor|worker)@(\*|[A-Za-z0-9._:-]{1,128})(,(requester|approver|admin|monitor|worker)@(\*|[A-Za-z0-9._:-]{1,128}))*$'::text))));
ALTER TABLE approval_decisions ADD CONSTRAINT approval_decisions_approval_id_fkey FOREIGN KEY (approval_id) REFERENCES approvals(id) ON DELETE CASCADE;
ALTER TABLE approval_decisions ADD CONSTRAINT approval_decisions_credential_check CHECK (((credential IS NULL) OR ((char_length(credential) >= 1) AND (char_length(credential) <= 300))));
ALTER TABLE approval_decisions ADD CONSTRAINT approval_decisions_decision_check CHECK ((decision = ANY (ARRAY['approve'::text, 'reject'::text])));
ALTER TABLE approval_decisions ADD CONSTRAINT approval_decisions_execution_run_id_fkey FOREIGN KEY (execution_run_id) REFERENCES execution_runs(id) ON DELETE CASCADE;
ALTER TABLE approval_decisions ADD CONSTRAINT approval_decisions_one_vote UNIQUE (approval_id, principal_id);
ALTER TABLE approval_decisions ADD CONSTRAINT approval_decisions_pkey PRIMARY KEY (id);
ALTER TABLE approval_decisions ADD CONSTRAINT approval_decisions_reason_check CHECK (((reason IS NULL) OR ((char_length(reason) >= 1) AND (char_length(reason) <= 2000))));
ALTER TABLE approval_decisions ADD CONSTRAINT approval_decisions_reject_reason_chk CHECK (((decision <> 'reject'::text) OR ((reason IS NOT NULL) AND (btrim(reason) <> ''::text))));
ALTER TABLE approvals ADD CONSTRAINT approvals_decision_chk CHECK ((((status = 'pending'::text) = (decided_by IS NULL)) AND ((decided_by IS NULL) = (decided_at IS NULL))));
ALTER TABLE approvals ADD CONSTRAINT approvals_deferral_reason_chk CHECK (((status <> 'deferred'::text) OR ((reason IS NOT NULL) AND (btrim(reason) <> ''::text))));
ALTER TABLE approvals ADD CONSTRAINT approvals_deferred_until_chk CHECK (((deferred_until IS NULL) OR (status = 'deferred'::text)));
ALTER TABLE approvals ADD CONSTRAINT approvals_execution_run_id_fkey FOREIGN KEY (execution_run_id) REFERENCES execution_runs(id) ON DELETE CASCADE;
ALTER TABLE approvals ADD CONSTRAINT approvals_expiry_chk CHECK ((expires_at > created_at));
ALTER TABLE approvals ADD CONSTRAINT approvals_lane_check CHECK ((lane > 0));
ALTER TABLE approvals ADD CONSTRAINT approvals_opened_by_check CHECK (((opened_by IS NULL) OR ((length(opened_by) >= 1) AND (length(opened_by) <= 200))));
ALTER TABLE approvals ADD CONSTRAINT approvals_pkey PRIMARY KEY (id);
ALTER TABLE approvals ADD CONSTRAINT approvals_plan_hash_check CHECK ((plan_hash ~ '^[0-9a-f]{64}$'::text));
ALTER TABLE approvals ADD CONSTRAINT approvals_policy_hash_fkey FOREIGN KEY (policy_hash) REFERENCES policy_versions(hash);
ALTER TABLE approvals ADD CONSTRAINT approvals_reason_check CHECK (((reason IS NULL) OR ((char_length(reason) >= 1) AND (char_length(reason) <= 2000))));
ALTER TABLE approvals ADD CONSTRAINT approvals_rejection_reason_chk CHECK (((status <> 'rejected'::text) OR ((reason IS NOT NULL) AND (btrim(reason) <> ''::text))));
ALTER TABLE approvals ADD CONSTRAINT approvals_required_approvals_check CHECK (((required_approvals >= 0) AND (required_approvals <= 10)));
ALTER TABLE approvals ADD CONSTRAINT approvals_run_lane_uniq UNIQUE (execution_run_id, lane);
ALTER TABLE approvals ADD CONSTRAINT approvals_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'rejected'::text, 'deferred'::text, 'expired'::text, 'invalidated'::text, 'executed'::text, 'execution_failed'::text])));
ALTER TABLE approvals ADD CONSTRAINT approvals_step_index_check CHECK ((step_index >= 0));
ALTER TABLE approvals ADD CONSTRAINT approvals_version_check CHECK ((version > 0));
ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_check CHECK ((char_length(actor) > 0));
ALTER TABLE audit_events ADD CONSTRAINT audit_events_chained_chk CHECK (((id <= 0) OR ((chain_key IS NOT NULL) AND (prev_hash IS NOT NULL) AND (hash IS NOT NULL))));
ALTER TABLE audit_events ADD CONSTRAINT audit_events_data_check CHECK ((jsonb_typeof(data) = 'object'::text));
ALTER TABLE audit_events ADD CONSTRAINT audit_events_event_type_check CHECK ((event_type ~ '^[a-z_]+(\.[a-z_]+)+$'::text));
ALTER TABLE audit_events ADD CONSTRAINT audit_events_hash_check CHECK ((hash ~ '^[0-9a-f]{64}$'::text));
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);
ALTER TABLE audit_events ADD CONSTRAINT audit_events_prev_hash_check CHECK ((prev_hash ~ '^[0-9a-f]{64}$'::text));
ALTER TABLE execution_dlq ADD CONSTRAINT execution_dlq_attempts_check CHECK ((attempts >= 1));
ALTER TABLE execution_dlq ADD CONSTRAINT execution_dlq_execution_run_id_fkey FOREIGN KEY (execution_run_id) REFERENCES execution_runs(id) ON DELETE CASCADE;
ALTER TABLE execution_dlq ADD CONSTRAINT execution_dlq_pkey PRIMARY KEY (id);
ALTER TABLE execution_dlq ADD CONSTRAINT execution_dlq_redrive_pair CHECK (((redriven_at IS NULL) = (redriven_by IS NULL)));
ALTER TABLE execution_locks ADD CONSTRAINT execution_locks_execution_run_id_fkey FOREIGN KEY (execution_run_id) REFERENCES execution_runs(id) ON DELETE CASCADE;
ALTER TABLE execution_locks ADD CONSTRAINT execution_locks_pkey PRIMARY KEY (target);
ALTER TABLE execution_locks ADD CONSTRAINT execution_locks_target_check CHECK (((char_length(target) >= 1) AND (char_length(target) <= 255)));
ALTER TABLE execution_modes ADD CONSTRAINT execution_modes_action_key CHECK (((kind <> 'action'::text) OR (key ~ '^[A-Za-z0-9._:-]{1,128}$'::text)));
ALTER TABLE execution_modes ADD CONSTRAINT execution_modes_kind_check CHECK ((kind = ANY (ARRAY['action'::text, 'level'::text])));
ALTER TABLE execution_modes ADD CONSTRAINT execution_modes_level_key CHECK (((kind <> 'level'::text) OR (key = ANY (ARRAY['0'::text, '1'::text, '2'::text, '3'::text]))));
ALTER TABLE execution_modes ADD CONSTRAINT execution_modes_mode_check CHECK ((mode = ANY (ARRAY['enabled'::text, 'record_only'::text, 'disabled'::text])));
ALTER TABLE execution_modes ADD CONSTRAINT execution_modes_pkey PRIMARY KEY (kind, key);
ALTER TABLE execution_modes ADD CONSTRAINT execution_modes_reason_check CHECK (((char_length(btrim(reason)) >= 1) AND (char_length(btrim(reason)) <= 2000)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_action_check CHECK ((action ~ '^[A-Za-z0-9._:-]{1,128}$'::text));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_action_fk FOREIGN KEY (action) REFERENCES action_types(code) NOT VALID;
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_approval_level_check CHECK (((approval_level >= 0) AND (approval_level <= 3)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_attempt_check CHECK ((attempt >= 0));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_attempts_cap CHECK ((attempt <= max_attempts));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_blocked_reason_check CHECK ((blocked_reason = ANY (ARRAY['approval_pending'::text, 'approval_deferred'::text, 'step_approval_pending'::text])));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_blocked_reason_chk CHECK (((status = 'BLOCKED'::text) = (blocked_reason IS NOT NULL)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_cancel_checks_performed_check CHECK ((cancel_checks_performed >= 0));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_cancel_reason_check CHECK (((cancel_reason IS NULL) OR ((char_length(cancel_reason) >= 1) AND (char_length(cancel_reason) <= 2000))));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_cancel_request_pair CHECK (((cancel_requested_at IS NULL) = (cancel_requested_by IS NULL)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_cancelled_pair CHECK (((cancelled_by IS NULL) = (cancelled_at IS NULL)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_cancelled_status CHECK (((status = 'CANCELLED'::text) = (cancelled_at IS NOT NULL)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_fingerprint_check CHECK ((fingerprint ~ '^[0-9a-f]{64}$'::text));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_idempotency_key_check CHECK ((((char_length(idempotency_key) >= 1) AND (char_length(idempotency_key) <= 255)) AND (idempotency_key !~ '[[:cntrl:]]'::text)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_last_error_check CHECK (((last_error IS NULL) OR (char_length(last_error) <= 2000)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_lease_pair CHECK (((worker_id IS NULL) = (lease_expires_at IS NULL)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_lease_renewals_check CHECK ((lease_renewals >= 0));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_leased_while_working CHECK (((status = ANY (ARRAY['CLAIMED'::text, 'RUNNING'::text])) = (worker_id IS NOT NULL)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_max_attempts_check CHECK ((max_attempts >= 1));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_params_check CHECK ((jsonb_typeof(params) = 'object'::text));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_pkey PRIMARY KEY (id);
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_plan_hash_check CHECK ((plan_hash ~ '^[0-9a-f]{64}$'::text));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_policy_hash_fkey FOREIGN KEY (policy_hash) REFERENCES policy_versions(hash);
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_project_id_check CHECK ((project_id ~ '^[A-Za-z0-9._:-]{1,128}$'::text));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_project_key_uniq UNIQUE (project_id, idempotency_key);
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_requested_via_check CHECK (((requested_via IS NULL) OR ((char_length(requested_via) >= 1) AND (char_length(requested_via) <= 300))));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_require_approval TRIGGER DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_result_cap CHECK (((result IS NULL) OR (octet_length((result)::text) <= 10240)));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_status_check CHECK ((status = ANY (ARRAY['BLOCKED'::text, 'RUN'::text, 'REJECTED'::text, 'EXPIRED'::text, 'CLAIMED'::text, 'RUNNING'::text, 'SUCCEEDED'::text, 'FAILED'::text, 'TIMED_OUT'::text, 'CANCELLED'::text, 'DEAD_LETTERED'::text, 'RECORDED'::text])));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_targets_check CHECK ((jsonb_typeof(targets) = 'array'::text));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_timeout_seconds_check CHECK ((timeout_seconds > 0));
ALTER TABLE execution_runs ADD CONSTRAINT execution_runs_version_check CHECK ((version > 0));
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_attempt_check CHECK ((attempt >= 1));
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_attempt_uniq UNIQUE (execution_run_id, step_index, attempt);
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_error_check CHECK (((error IS NULL) OR (char_length(error) <= 2000)));
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_execution_run_id_fkey FOREIGN KEY (execution_run_id) REFERENCES execution_runs(id) ON DELETE CASCADE;
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_finished_pair CHECK (((status = 'running'::text) = (finished_at IS NULL)));
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 255)));
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_pkey PRIMARY KEY (id);
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_result_cap CHECK (((result IS NULL) OR (octet_length((result)::text) <= 10240)));
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_status_check CHECK ((status = ANY (ARRAY['running'::text, 'succeeded'::text, 'skipped'::text, 'failed'::text, 'timed_out'::text, 'cancelled'::text, 'abandoned'::text])));
ALTER TABLE execution_steps ADD CONSTRAINT execution_steps_step_index_check CHECK ((step_index >= 0));
ALTER TABLE governance_grants ADD CONSTRAINT chk_consumed_pair CHECK ((((consumed_at IS NULL) = (consumed_by IS NULL)) AND ((status = 'consumed'::text) = (consumed_at IS NOT NULL))));
ALTER TABLE governance_grants ADD CONSTRAINT chk_expiry CHECK ((expires_at > granted_at));
ALTER TABLE governance_grants ADD CONSTRAINT chk_revoked_pair CHECK ((((revoked_at IS NULL) AND (revoked_by IS NULL) AND (revoked_reason IS NULL)) OR ((revoked_at IS NOT NULL) AND (revoked_by IS NOT NULL) AND (revoked_reason IS NOT NULL) AND (btrim(revoked_reason) <> ''::text))));
ALTER TABLE governance_grants ADD CONSTRAINT chk_revoked_status CHECK (((status = 'revoked'::text) = (revoked_at IS NOT NULL)));
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_approval_id_fkey FOREIGN KEY (approval_id) REFERENCES approvals(id) ON DELETE CASCADE;
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_approval_ref_check CHECK (((jsonb_typeof(approval_ref) = 'object'::text) AND (approval_ref ? 'approval_id'::text) AND (approval_ref ? 'quorum'::text) AND (approval_ref ? 'plan_hash'::text) AND (approval_ref ? 'policy_hash'::text)));
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_auth_code_check CHECK ((auth_code ~ '^GBA-[A-Za-z0-9-]{1,64}$'::text));
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_commit_allowed_check CHECK ((commit_allowed = false));
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_evidence_check CHECK ((jsonb_typeof(evidence) = 'object'::text));
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_execution_run_id_fkey FOREIGN KEY (execution_run_id) REFERENCES execution_runs(id) ON DELETE CASCADE;
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_pkey PRIMARY KEY (auth_code);
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_rollback_plan_ref_check CHECK (((char_length(rollback_plan_ref) >= 1) AND (char_length(rollback_plan_ref) <= 255)));
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_scope_check CHECK (((jsonb_typeof(scope) = 'object'::text) AND (scope ? 'target'::text) AND (scope ? 'namespace'::text)));
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_status_check CHECK ((status = ANY (ARRAY['active'::text, 'consumed'::text, 'revoked'::text, 'expired'::text])));
ALTER TABLE governance_grants ADD CONSTRAINT governance_grants_ttl_seconds_check CHECK (((ttl_seconds >= 60) AND (ttl_seconds <= 86400)));
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_document_check CHECK ((jsonb_typeof(document) = 'object'::text));
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_hash_check CHECK ((hash ~ '^[0-9a-f]{64}$'::text));
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_pkey PRIMARY KEY (hash);
ALTER TABLE principals ADD CONSTRAINT principals_acts_for_agents CHECK (((acts_for IS NULL) OR (kind = 'agent'::text)));
ALTER TABLE principals ADD CONSTRAINT principals_acts_for_fkey FOREIGN KEY (acts_for) REFERENCES principals(id);
ALTER TABLE principals ADD CONSTRAINT principals_acts_for_other CHECK ((acts_for <> id));
ALTER TABLE principals ADD CONSTRAINT principals_agents_never_admin CHECK (((kind <> 'agent'::text) OR (array_to_string(role_grants, ','::text) !~ '(^|,)admin@'::text)));
ALTER TABLE principals ADD CONSTRAINT principals_created_via_check CHECK (((created_via IS NULL) OR ((char_length(created_via) >= 1) AND (char_length(created_via) <= 300))));
ALTER TABLE principals ADD CONSTRAINT principals_disabled_reason_check CHECK (((disabled_reason IS NULL) OR ((char_length(disabled_reason) >= 1) AND (char_length(disabled_reason) <= 2000))));
ALTER TABLE principals ADD CONSTRAINT principals_disabled_with_who_and_why CHECK (((disabled_at IS NULL) = ((disabled_by IS NULL) AND (disabled_reason IS NULL))));
ALTER TABLE principals ADD CONSTRAINT principals_identity_pair CHECK (((issuer IS NULL) = (subject IS NULL)));
ALTER TABLE principals ADD CONSTRAINT principals_issuer_check CHECK (((issuer IS NULL) OR ((char_length(issuer) >= 1) AND (char_length(issuer) <= 2000))));
ALTER TABLE principals ADD CONSTRAINT principals_kind_check CHECK ((kind = ANY (ARRAY['person'::text, 'service'::text, 'agent'::text])));
ALTER TABLE principals ADD CONSTRAINT principals_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 200)));
ALTER TABLE principals ADD CONSTRAINT principals_pkey PRIMARY KEY (id);
ALTER TABLE principals ADD CONSTRAINT principals_role_grants_check CHECK (((array_position(role_grants, NULL::text) IS NULL) AND ((cardinality(role_grants) = 0) OR (array_to_string(role_grants, ','::text) ~ '^(requester|approver|admin|monitor|worker)@(\*|[A-Za-z0-9._:-]{1,128})(,(requester|approver|admin|monitor|worker)@(\*|[A-Za-z0-9._:-]{1,128}))*$'::text))));
ALTER TABLE principals ADD CONSTRAINT principals_service_approvers_are_services CHECK (((NOT service_approver) OR (kind = 'service'::text)));
ALTER TABLE principals ADD CONSTRAINT principals_signed_in_are_people CHECK (((issuer IS NULL) OR (kind = 'person'::text)));
ALTER TABLE principals ADD CONSTRAINT principals_subject_check CHECK (((subject IS NULL) OR ((char_length(subject) >= 1) AND (char_length(subject) <= 255))));
ALTER TABLE principals ADD CONSTRAINT principals_worker_role_alone CHECK (((array_to_string(role_grants, ','::text) !~ '(^|,)worker@'::text) OR (array_to_string(role_grants, ','::text) ~ '^worker@[^,]+(,worker@[^,]+)*$'::text)));
ALTER TABLE principals ADD CONSTRAINT principals_workers_are_services CHECK (((kind = 'service'::text) OR (array_to_string(role_grants, ','::text) !~ '(^|,)worker@'::text)));
ALTER TABLE run_plan_changes ADD CONSTRAINT run_plan_changes_changed_by_check CHECK (((length(changed_by) >= 1) AND (length(changed_by) <= 200)));
ALTER TABLE run_plan_changes ADD CONSTRAINT run_plan_changes_check CHECK ((old_plan_hash <> new_plan_hash));
ALTER TABLE run_plan_changes ADD CONSTRAINT run_plan_changes_execution_run_id_fkey FOREIGN KEY (execution_run_id) REFERENCES execution_runs(id) ON DELETE CASCADE;
ALTER TABLE run_plan_changes ADD CONSTRAINT run_plan_changes_new_plan_hash_check CHECK ((length(new_plan_hash) = 64));
ALTER TABLE run_plan_changes ADD CONSTRAINT run_plan_changes_old_params_check CHECK ((jsonb_typeof(old_params) = 'object'::text));
ALTER TABLE run_plan_changes ADD CONSTRAINT run_plan_changes_old_plan_hash_check CHECK ((length(old_plan_hash) = 64));
ALTER TABLE run_plan_changes ADD CONSTRAINT run_plan_changes_old_targets_check CHECK ((jsonb_typeof(old_targets) = 'array'::text));
ALTER TABLE run_plan_changes ADD CONSTRAINT run_plan_changes_pkey PRIMARY KEY (id);
ALTER TABLE schema_checksums ADD CONSTRAINT schema_checksums_checksum_check CHECK ((checksum ~ '^[0-9a-f]{64}$'::text));
ALTER TABLE schema_checksums ADD CONSTRAINT schema_checksums_kind_check CHECK ((kind = ANY (ARRAY['migration'::text, 'routine'::text])));
ALTER TABLE schema_checksums ADD CONSTRAINT schema_checksums_pkey PRIMARY KEY (kind, name);
ALTER TABLE schema_migrations ADD CONSTRAINT PK_62441bec32630ced9e4cccae336 PRIMARY KEY (id);
ALTER TABLE timeout_policies ADD CONSTRAINT timeout_policies_pkey PRIMARY KEY (sla_class, action_class);
ALTER TABLE timeout_policies ADD CONSTRAINT timeout_policies_timeout_seconds_check CHECK (((timeout_seconds >= 1) AND (timeout_seconds <= 86400)));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_attempts_check CHECK ((attempts >= 0));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_delivered_at CHECK (((status = 'delivered'::text) = (delivered_at IS NOT NULL)));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_delivery_id_key UNIQUE (delivery_id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_last_error_check CHECK (((last_error IS NULL) OR (char_length(last_error) <= 1000)));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_last_status_code_check CHECK (((last_status_code IS NULL) OR ((last_status_code >= 100) AND (last_status_code <= 599))));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_lease CHECK (((status = 'delivering'::text) = ((worker_id IS NOT NULL) AND (lease_expires_at IS NOT NULL))));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_one_per_event UNIQUE (subscription_id, audit_event_id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_payload_check CHECK ((jsonb_typeof(payload) = 'object'::text));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivering'::text, 'delivered'::text, 'dead'::text])));
ALTER TABLE webhook_retired_secrets ADD CONSTRAINT webhook_retired_secrets_pkey PRIMARY KEY (subscription_id, slot);
ALTER TABLE webhook_retired_secrets ADD CONSTRAINT webhook_retired_secrets_secret_check CHECK ((char_length(secret) >= 32));
ALTER TABLE webhook_retired_secrets ADD CONSTRAINT webhook_retired_secrets_slot_check CHECK (((slot >= 1) AND (slot <= 5)));
ALTER TABLE webhook_retired_secrets ADD CONSTRAINT webhook_retired_secrets_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES webhook_subscriptions(id);
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_consecutive_failures_check CHECK ((consecutive_failures >= 0));
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_description_check CHECK (((description IS NULL) OR (char_length(description) <= 500)));
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_event_types_check CHECK (((cardinality(event_types) > 0) AND (event_types <@ ARRAY['approval.requested'::text, 'approval.decided'::text, 'approval.expired'::text, 'approval.invalidated'::text, 'run.started'::text, 'run.succeeded'::text, 'run.failed'::text, 'run.dead_lettered'::text, 'run.cancelled'::text, 'run.recorded'::text, 'grant.minted'::text, 'grant.consumed'::text, 'grant.revoked'::text])));
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_pkey PRIMARY KEY (id);
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_project_id_check CHECK (((char_length(project_id) >= 1) AND (char_length(project_id) <= 128)));
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_secret_check CHECK ((char_length(secret) >= 32));
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_status_check CHECK ((status = ANY (ARRAY['active'::text, 'disabled'::text])));
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_url_check CHECK ((((char_length(url) >= 1) AND (char_length(url) <= 2000)) AND (url ~ '^https?://'::text)));

-- indexes
CREATE UNIQUE INDEX action_types_pkey ON public.action_types USING btree (code);
CREATE UNIQUE INDEX api_keys_key_hash_uniq ON public.api_keys USING btree (key_hash);
CREATE UNIQUE INDEX api_keys_pkey ON public.api_keys USING btree (id);
CREATE INDEX api_keys_principal_idx ON public.api_keys USING btree (principal_id);
CREATE UNIQUE INDEX approval_decisions_one_vote ON public.approval_decisions USING btree (approval_id, principal_id);
CREATE UNIQUE INDEX approval_decisions_pkey ON public.approval_decisions USING btree (id);
CREATE INDEX approval_decisions_run_idx ON public.approval_decisions USING btree (execution_run_id);
CREATE INDEX approvals_expiry_idx ON public.approvals USING btree (expires_at) WHERE (status = ANY (ARRAY['pending'::text, 'approved'::text]));
CREATE UNIQUE INDEX approvals_one_open_lane ON public.approvals USING btree (execution_run_id) WHERE (status = ANY (ARRAY['pending'::text, 'approved'::text]));
CREATE UNIQUE INDEX approvals_one_pending_per_run ON public.approvals USING btree (execution_run_id) WHERE (status = 'pending'::text);
CREATE UNIQUE INDEX approvals_pkey ON public.approvals USING btree (id);
CREATE UNIQUE INDEX approvals_run_lane_uniq ON public.approvals USING btree (execution_run_id, lane);
CREATE INDEX audit_events_chain_idx ON public.audit_events USING btree (chain_key, id);
CREATE UNIQUE INDEX audit_events_chain_no_fork ON public.audit_events USING btree (chain_key, prev_hash);
CREATE UNIQUE INDEX audit_events_pkey ON public.audit_events USING btree (id);
CREATE INDEX audit_events_project_idx ON public.audit_events USING btree (project_id, id);
CREATE INDEX audit_events_type_idx ON public.audit_events USING btree (event_type, id);
CREATE UNIQUE INDEX execution_dlq_one_open ON public.execution_dlq USING btree (execution_run_id) WHERE (redriven_at IS NULL);
CREATE UNIQUE INDEX execution_dlq_pkey ON public.execution_dlq USING btree (id);
CREATE INDEX execution_dlq_run_idx ON public.execution_dlq USING btree (execution_run_id);
CREATE UNIQUE INDEX execution_locks_pkey ON public.execution_locks USING btree (target);
CREATE INDEX execution_locks_run_idx ON public.execution_locks USING btree (execution_run_id);
CREATE UNIQUE INDEX execution_modes_pkey ON public.execution_modes USING btree (kind, key);
CREATE INDEX execution_runs_leased ON public.execution_runs USING btree (lease_expires_at) WHERE (status = ANY (ARRAY['CLAIMED'::text, 'RUNNING'::text]));
CREATE UNIQUE INDEX execution_runs_pkey ON public.execution_runs USING btree (id);
CREATE UNIQUE INDEX execution_runs_project_key_uniq ON public.execution_runs USING btree (project_id, idempotency_key);
CREATE INDEX execution_runs_project_recent ON public.execution_runs USING btree (project_id, created_at DESC, id DESC);
CREATE INDEX execution_runs_purgeable_idx ON public.execution_runs USING btree (updated_at) WHERE (status = ANY (ARRAY['SUCCEEDED'::text, 'FAILED'::text, 'TIMED_OUT'::text, 'CANCELLED'::text, 'REJECTED'::text, 'EXPIRED'::text, 'RECORDED'::text]));
CREATE INDEX execution_runs_queue ON public.execution_runs USING btree (available_at, created_at) WHERE (status = 'RUN'::text);
CREATE UNIQUE INDEX execution_steps_attempt_uniq ON public.execution_steps USING btree (execution_run_id, step_index, attempt);
CREATE UNIQUE INDEX execution_steps_done_once ON public.execution_steps USING btree (execution_run_id, step_index) WHERE (status = ANY (ARRAY['succeeded'::text, 'skipped'::text]));
CREATE UNIQUE INDEX execution_steps_one_running ON public.execution_steps USING btree (execution_run_id) WHERE (status = 'running'::text);
CREATE UNIQUE INDEX execution_steps_pkey ON public.execution_steps USING btree (id);
CREATE UNIQUE INDEX governance_grants_one_active_per_target ON public.governance_grants USING btree (((scope ->> 'target'::text))) WHERE (status = 'active'::text);
CREATE UNIQUE INDEX governance_grants_pkey ON public.governance_grants USING btree (auth_code);
CREATE INDEX governance_grants_run_idx ON public.governance_grants USING btree (execution_run_id);
CREATE UNIQUE INDEX policy_versions_pkey ON public.policy_versions USING btree (hash);
CREATE INDEX principals_acts_for ON public.principals USING btree (acts_for) WHERE (acts_for IS NOT NULL);
CREATE UNIQUE INDEX principals_identity ON public.principals USING btree (issuer, subject) WHERE (issuer IS NOT NULL);
CREATE UNIQUE INDEX principals_name ON public.principals USING btree (lower(name)) WHERE ((issuer IS NULL) AND (created_by <> 'system'::text) AND (NOT name_shared_before));
CREATE UNIQUE INDEX principals_pkey ON public.principals USING btree (id);
CREATE UNIQUE INDEX run_plan_changes_pkey ON public.run_plan_changes USING btree (id);
CREATE INDEX run_plan_changes_run ON public.run_plan_changes USING btree (execution_run_id, id);
CREATE UNIQUE INDEX schema_checksums_pkey ON public.schema_checksums USING btree (kind, name);
CREATE UNIQUE INDEX "PK_62441bec32630ced9e4cccae336" ON public.schema_migrations USING btree (id);
CREATE UNIQUE INDEX timeout_policies_pkey ON public.timeout_policies USING btree (sla_class, action_class);
CREATE UNIQUE INDEX webhook_deliveries_delivery_id_key ON public.webhook_deliveries USING btree (delivery_id);
CREATE INDEX webhook_deliveries_due ON public.webhook_deliveries USING btree (subscription_id, available_at, id) WHERE (status = ANY (ARRAY['pending'::text, 'delivering'::text]));
CREATE UNIQUE INDEX webhook_deliveries_one_per_event ON public.webhook_deliveries USING btree (subscription_id, audit_event_id);
CREATE INDEX webhook_deliveries_order ON public.webhook_deliveries USING btree (subscription_id, order_key, id) WHERE (status = ANY (ARRAY['pending'::text, 'delivering'::text]));
CREATE UNIQUE INDEX webhook_deliveries_pkey ON public.webhook_deliveries USING btree (id);
CREATE INDEX webhook_deliveries_subscription ON public.webhook_deliveries USING btree (subscription_id, id);
CREATE UNIQUE INDEX webhook_retired_secrets_pkey ON public.webhook_retired_secrets USING btree (subscription_id, slot);
CREATE UNIQUE INDEX webhook_subscriptions_pkey ON public.webhook_subscriptions USING btree (id);
CREATE INDEX webhook_subscriptions_project_idx ON public.webhook_subscriptions USING btree (project_id) WHERE (status = 'active'::text);

-- triggers
CREATE TRIGGER approval_decisions_guard BEFORE INSERT OR DELETE OR UPDATE ON public.approval_decisions FOR EACH ROW EXECUTE FUNCTION approval_decisions_guard();
CREATE TRIGGER approvals_guard BEFORE INSERT OR UPDATE ON public.approvals FOR EACH ROW EXECUTE FUNCTION approvals_guard();
CREATE TRIGGER audit_events_append_only BEFORE DELETE OR UPDATE ON public.audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON public.audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_webhook_outbox AFTER INSERT ON public.audit_events REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION webhook_outbox_fill();
CREATE TRIGGER execution_runs_guard BEFORE INSERT OR DELETE OR UPDATE ON public.execution_runs FOR EACH ROW EXECUTE FUNCTION execution_runs_guard();
CREATE TRIGGER execution_runs_notify_cancel AFTER UPDATE OF cancel_requested_at ON public.execution_runs FOR EACH ROW WHEN (((new.cancel_requested_at IS NOT NULL) AND (old.cancel_requested_at IS NULL))) EXECUTE FUNCTION execution_runs_notify_cancel();
CREATE TRIGGER execution_runs_notify_ready AFTER UPDATE OF status ON public.execution_runs FOR EACH ROW WHEN (((new.status = 'RUN'::text) AND (old.status IS DISTINCT FROM 'RUN'::text))) EXECUTE FUNCTION execution_runs_notify_ready();
CREATE TRIGGER execution_runs_refuse_disabled BEFORE INSERT ON public.execution_runs FOR EACH ROW EXECUTE FUNCTION execution_runs_refuse_disabled();
CREATE TRIGGER execution_runs_release_locks AFTER UPDATE OF status ON public.execution_runs FOR EACH ROW WHEN (((old.status = ANY (ARRAY['CLAIMED'::text, 'RUNNING'::text])) AND (new.status <> ALL (ARRAY['CLAIMED'::text, 'RUNNING'::text])))) EXECUTE FUNCTION execution_runs_release_locks();
CREATE CONSTRAINT TRIGGER execution_runs_require_approval AFTER INSERT ON public.execution_runs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION execution_runs_require_approval();
CREATE TRIGGER execution_steps_guard BEFORE INSERT OR DELETE OR UPDATE ON public.execution_steps FOR EACH ROW EXECUTE FUNCTION execution_steps_guard();
CREATE TRIGGER governance_grants_guard BEFORE INSERT OR DELETE OR UPDATE ON public.governance_grants FOR EACH ROW EXECUTE FUNCTION governance_grants_guard();
CREATE TRIGGER principals_acts_for_guard BEFORE INSERT OR UPDATE OF acts_for, kind ON public.principals FOR EACH ROW EXECUTE FUNCTION principals_acts_for_guard();
CREATE TRIGGER principals_name_shared_guard BEFORE INSERT OR UPDATE OF name_shared_before ON public.principals FOR EACH ROW EXECUTE FUNCTION principals_name_shared_guard();
CREATE TRIGGER run_plan_changes_guard BEFORE INSERT OR DELETE OR UPDATE ON public.run_plan_changes FOR EACH ROW EXECUTE FUNCTION run_plan_changes_guard();
CREATE TRIGGER webhook_deliveries_require_subscription BEFORE INSERT OR UPDATE OF subscription_id ON public.webhook_deliveries FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_require_subscription();
CREATE TRIGGER webhook_subscriptions_refuse_delete BEFORE DELETE ON public.webhook_subscriptions FOR EACH ROW EXECUTE FUNCTION webhook_subscriptions_refuse_delete();
CREATE TRIGGER webhook_subscriptions_refuse_truncate BEFORE TRUNCATE ON public.webhook_subscriptions FOR EACH STATEMENT EXECUTE FUNCTION webhook_subscriptions_refuse_delete();

-- function approval_counted_approvals(p_approval uuid) RETURNS integer LANGUAGE sql
SELECT count(*)::int
FROM approval_decisions d JOIN execution_runs r ON r.id = d.execution_run_id
WHERE d.approval_id = p_approval AND d.decision = 'approve'
AND principal_decision_refusal(d.principal_id, d.credential, r.requested_by, r.requested_via) IS NULL

-- function approval_current_lane(p_run_id uuid) RETURNS SETOF approvals LANGUAGE sql
SELECT * FROM approvals WHERE execution_run_id = p_run_id ORDER BY lane DESC LIMIT 1

-- function approval_decisions_guard() RETURNS trigger LANGUAGE plpgsql
DECLARE
lane approvals%ROWTYPE;
refusal text;
BEGIN
IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
RETURN OLD;
END IF;
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
-- Only from a principal that may decide the run: never its requester, a service that is not a
-- marked approver, nor anyone tied to the requester (principal_decision_refusal).
SELECT principal_decision_refusal(NEW.principal_id, NEW.credential, r.requested_by, r.requested_via) INTO refusal
FROM execution_runs r WHERE r.id = NEW.execution_run_id;
IF refusal IS NOT NULL THEN
RAISE EXCEPTION 'principal % may not decide this run (%)', NEW.principal_id, refusal USING ERRCODE = 'check_violation';
END IF;
-- Whoever wrote this lane's plan (a decider who edited it) does not approve it too.
IF lane.opened_by IS NOT NULL AND lane.opened_by = NEW.principal_id THEN
RAISE EXCEPTION 'principal % changed this plan and may not decide it (edited_the_plan)', NEW.principal_id USING ERRCODE = 'check_violation';
END IF;
RETURN NEW;
END

-- function approval_gate(p_run_id uuid, p_after_execution boolean) RETURNS TABLE(verdict text, approval_id uuid, approval_status text) LANGUAGE sql
SELECT CASE
WHEN a.id IS NULL THEN 'no_approval'
WHEN a.status = 'expired' THEN 'approval_expired'
WHEN a.status <> 'approved' AND NOT (p_after_execution AND a.status = 'executed') THEN 'not_approved'
WHEN a.expires_at <= now() THEN 'approval_expired'
WHEN a.plan_hash <> r.plan_hash THEN 'plan_changed'
ELSE 'open'
END,
a.id, a.status
FROM execution_runs r
LEFT JOIN LATERAL approval_current_lane(r.id) a ON true
WHERE r.id = p_run_id

-- function approvals_guard() RETURNS trigger LANGUAGE plpgsql
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
-- Quorum, in the database: approved only with enough distinct approving votes that count
-- now (approval_counted_approvals: a vote of a principal disabled since does not).
IF NEW.status = 'approved' AND approval_counted_approvals(NEW.id) < NEW.required_approvals THEN
RAISE EXCEPTION 'approval % has not reached its quorum of %', NEW.id, NEW.required_approvals USING ERRCODE = 'check_violation';
END IF;
END IF;
RETURN NEW;
END

-- function audit_append(events jsonb) RETURNS void LANGUAGE plpgsql
DECLARE
e jsonb;
chain text;
prev text;
heads jsonb := '{}';
chains text[] := '{}';
prevs text[] := '{}';
hashes text[] := '{}';
announced text;
BEGIN
-- Each event links to the head of its chain: the one appended just before it here, or the
-- latest stored (read once per chain and call).
FOR e IN SELECT t.value FROM jsonb_array_elements(events) WITH ORDINALITY AS t(value, n) ORDER BY t.n LOOP
chain := e ->> 'chain_key';
IF heads ? chain THEN
prev := heads ->> chain;
ELSE
IF e ->> 'execution_run_id' IS NULL THEN
PERFORM pg_advisory_xact_lock(hashtextextended(chain, 0));
END IF;
SELECT hash INTO prev FROM audit_events WHERE chain_key = chain ORDER BY id DESC LIMIT 1;
prev := coalesce(prev, repeat('0', 64));
chains := chains || chain;
END IF;
prevs := prevs || prev;
prev := encode(sha256(convert_to(prev || (e ->> 'canonical'), 'UTF8')), 'hex');
hashes := hashes || prev;
heads := heads || jsonb_build_object(chain, prev);
END LOOP;
-- One statement for them all, in order: ids are given in the order of the rows.
INSERT INTO audit_events (event_id, event_type, actor, actor_credential, request_id, project_id, execution_run_id, data, occurred_at, chain_key,
prev_hash, hash)
SELECT (x.value ->> 'event_id')::uuid, x.value ->> 'event_type', x.value ->> 'actor', x.value ->> 'actor_credential', x.value ->> 'request_id',
x.value ->> 'project_id',
(x.value ->> 'execution_run_id')::uuid, x.value -> 'data', (x.value ->> 'occurred_at')::timestamptz, x.value ->> 'chain_key',
l.prev_hash, l.hash
FROM jsonb_array_elements(events) WITH ORDINALITY AS x(value, n)
JOIN unnest(prevs, hashes) WITH ORDINALITY AS l(prev_hash, hash, n) ON l.n = x.n
ORDER BY x.n;
announced := array_to_string(chains, ' ');
IF announced <> '' THEN
PERFORM pg_notify('audit_events', CASE WHEN octet_length(announced) > 7000 THEN '*' ELSE announced END);
END IF;
END

-- function audit_chain_has_event(p_chain_key text, p_event_types text[]) RETURNS boolean LANGUAGE sql
SELECT EXISTS (SELECT 1 FROM audit_events WHERE chain_key = p_chain_key AND event_type = ANY (p_event_types))

-- function audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql
BEGIN
RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END

-- function execution_mode(p_action text, p_level integer) RETURNS text LANGUAGE sql
SELECT CASE
WHEN bool_or(m.mode = 'disabled') THEN 'disabled'
WHEN bool_or(m.mode = 'record_only') THEN 'record_only'
ELSE 'enabled'
END
FROM execution_modes m
WHERE (m.kind = 'action' AND m.key = p_action) OR (m.kind = 'level' AND m.key = p_level::text)

-- function execution_runs_guard() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF TG_OP = 'DELETE' THEN
IF OLD.status IN ('CLAIMED', 'RUNNING') THEN
RAISE EXCEPTION 'run % is % and held by a worker: it cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'check_violation';
END IF;
RETURN OLD;
END IF;
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
END

-- function execution_runs_notify_cancel() RETURNS trigger LANGUAGE plpgsql
BEGIN
PERFORM pg_notify('execution_run_cancel', NEW.id::text);
RETURN NULL;
END

-- function execution_runs_notify_ready() RETURNS trigger LANGUAGE plpgsql
BEGIN
PERFORM pg_notify('execution_runs_ready', NEW.id::text);
RETURN NULL;
END

-- function execution_runs_refuse_disabled() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF execution_mode(NEW.action, NEW.approval_level) = 'disabled'
AND NOT EXISTS (SELECT 1 FROM execution_runs WHERE project_id = NEW.project_id AND idempotency_key = NEW.idempotency_key) THEN
RAISE EXCEPTION 'action % at level % is disabled', NEW.action, NEW.approval_level
USING ERRCODE = 'check_violation', CONSTRAINT = 'execution_runs_action_enabled';
END IF;
RETURN NEW;
END

-- function execution_runs_release_locks() RETURNS trigger LANGUAGE plpgsql
BEGIN
DELETE FROM execution_locks WHERE execution_run_id = NEW.id;
RETURN NULL;
END

-- function execution_runs_require_approval() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF NOT EXISTS (SELECT 1 FROM approvals WHERE execution_run_id = NEW.id) THEN
RAISE EXCEPTION 'run % has no approval', NEW.id USING ERRCODE = 'foreign_key_violation';
END IF;
RETURN NULL;
END

-- function execution_steps_guard() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF TG_OP = 'DELETE' THEN
IF NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
RETURN OLD;
END IF;
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
END

-- function governance_grants_guard() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF TG_OP = 'DELETE' THEN
IF NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
RETURN OLD;
END IF;
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
END

-- function principal_decision_refusal(voter text, voter_credential text, requester text, requester_credential text) RETURNS text LANGUAGE sql
WITH RECURSIVE
tie(side, node) AS (
SELECT side, node FROM (VALUES ('r', 'p:' || requester), ('v', 'p:' || voter),
('r', CASE WHEN requester_credential ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN 'k:' || substr(requester_credential, 9) END), ('v', CASE WHEN voter_credential ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN 'k:' || substr(voter_credential, 9) END)) AS s(side, node)
WHERE node IS NOT NULL
UNION
SELECT t.side, n.node
FROM tie t
LEFT JOIN principals p ON t.node LIKE 'p:%' AND p.id = CASE WHEN substr(t.node, 3) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (substr(t.node, 3))::uuid END
LEFT JOIN api_keys k ON t.node LIKE 'k:%' AND k.id = CASE WHEN substr(t.node, 3) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (substr(t.node, 3))::uuid END
CROSS JOIN LATERAL (VALUES ('p:' || coalesce(p.created_by, k.created_by)), ('p:' || p.acts_for::text),
(CASE WHEN coalesce(p.created_via, k.created_via) ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN 'k:' || substr(coalesce(p.created_via, k.created_via), 9) END)) AS n(node)
WHERE (p.id IS NOT NULL OR k.id IS NOT NULL) AND n.node IS NOT NULL
),
chain(node) AS (
SELECT CASE WHEN voter_credential ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN 'k:' || substr(voter_credential, 9) END
UNION
SELECT CASE WHEN k.created_via ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN 'k:' || substr(k.created_via, 9) END
FROM chain c JOIN api_keys k ON k.id = CASE WHEN substr(c.node, 3) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (substr(c.node, 3))::uuid END
WHERE k.created_via IS NOT NULL
),
v AS (
SELECT p.*,
CASE WHEN voter_credential ~* '^api_key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN 'k:' || substr(voter_credential, 9) END IS NOT NULL AND NOT EXISTS (
SELECT 1 FROM chain c JOIN api_keys k ON k.id = CASE WHEN substr(c.node, 3) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (substr(c.node, 3))::uuid END
WHERE k.created_by <> voter AND k.created_by <> 'system'
AND NOT EXISTS (SELECT 1 FROM principals m WHERE m.id = CASE WHEN k.created_by ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (k.created_by)::uuid END AND 'admin@*' = ANY (m.role_grants))
) AS key_pinned
FROM principals p
WHERE p.id = CASE WHEN voter ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (voter)::uuid END
)
SELECT CASE
WHEN voter = requester THEN 'self'
WHEN NOT EXISTS (SELECT 1 FROM v) THEN 'unknown_principal'
WHEN (SELECT disabled_at FROM v) IS NOT NULL THEN 'disabled'
WHEN (SELECT kind FROM v) = 'agent' THEN 'agent'
WHEN (SELECT kind FROM v) <> 'person' AND NOT (SELECT service_approver FROM v) THEN 'not_a_person'
WHEN EXISTS (SELECT 1 FROM principals r WHERE r.id = CASE WHEN requester ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (requester)::uuid END AND r.acts_for::text = voter) THEN 'accountable_for_the_requester'
WHEN (SELECT kind FROM v) <> 'person' AND NOT (SELECT key_pinned FROM v) THEN 'key_not_pinned'
WHEN EXISTS (SELECT 1 FROM tie WHERE side = 'r' AND node = 'p:' || voter) THEN 'made_the_requester'
WHEN EXISTS (SELECT 1 FROM tie WHERE side = 'v' AND node = 'p:' || requester) THEN 'made_by_the_requester'
WHEN EXISTS (SELECT 1 FROM tie a JOIN tie b ON b.side = 'v' AND b.node = a.node
JOIN principals p ON a.node LIKE 'p:%' AND p.id = CASE WHEN substr(a.node, 3) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (substr(a.node, 3))::uuid END
WHERE a.side = 'r' AND NOT ('admin@*' = ANY (p.role_grants))) THEN 'same_maker'
END

-- function principals_acts_for_guard() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF NEW.acts_for IS NOT NULL AND NOT EXISTS (SELECT 1 FROM principals WHERE id = NEW.acts_for AND kind = 'person') THEN
RAISE EXCEPTION 'an agent acts for a person: % is not one', NEW.acts_for
USING ERRCODE = 'check_violation', CONSTRAINT = 'principals_acts_for_person';
END IF;
IF TG_OP = 'UPDATE' AND NEW.kind <> 'person' AND EXISTS (SELECT 1 FROM principals WHERE acts_for = NEW.id) THEN
RAISE EXCEPTION 'an agent acts for %, which stays a person', NEW.id
USING ERRCODE = 'check_violation', CONSTRAINT = 'principals_acts_for_person';
END IF;
RETURN NEW;
END

-- function principals_hold(p_ids text[]) RETURNS void LANGUAGE plpgsql
BEGIN
PERFORM 1 FROM principals
WHERE id = ANY (SELECT CASE WHEN x ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN x::uuid END FROM unnest(p_ids) AS x)
ORDER BY id FOR SHARE;
END

-- function principals_name_shared_guard() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF NEW.name_shared_before AND (TG_OP = 'INSERT' OR NOT OLD.name_shared_before) THEN
RAISE EXCEPTION 'only principals that shared a name before names were unique are marked name_shared_before'
USING ERRCODE = 'check_violation', CONSTRAINT = 'principals_name_shared_before';
END IF;
RETURN NEW;
END

-- function run_plan_changes_guard() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF TG_OP = 'INSERT' THEN
IF (SELECT count(*) FROM run_plan_changes WHERE execution_run_id = NEW.execution_run_id) >= 50 THEN
RAISE EXCEPTION 'a run''s plan changes at most 50 times' USING ERRCODE = 'check_violation';
END IF;
RETURN NEW;
END IF;
IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM execution_runs WHERE id = OLD.execution_run_id) THEN
RETURN OLD;
END IF;
RAISE EXCEPTION 'run_plan_changes is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END

-- function webhook_deliveries_require_subscription() RETURNS trigger LANGUAGE plpgsql
BEGIN
IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = NEW.subscription_id) THEN
RAISE EXCEPTION 'webhook delivery for subscription % that does not exist', NEW.subscription_id
USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'webhook_deliveries_subscription_exists';
END IF;
RETURN NEW;
END

-- function webhook_event_type(p_type text, p_data jsonb) RETURNS text LANGUAGE sql
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

-- function webhook_outbox_fill() RETURNS trigger LANGUAGE plpgsql
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
END

-- function webhook_subscriptions_refuse_delete() RETURNS trigger LANGUAGE plpgsql
BEGIN
RAISE EXCEPTION 'webhook_subscriptions are never deleted (disable one instead): % refused', TG_OP
USING ERRCODE = 'insufficient_privilege';
END

-- view execution_run_states
SELECT id,
project_id,
action,
status,
blocked_reason,
plan_hash,
requested_by,
created_at,
updated_at,
approval_level,
requested_via,
targets
FROM execution_runs;

-- view principal_cards
SELECT (id)::text AS id,
kind,
name,
(acts_for)::text AS acts_for
FROM principals;

-- view status_transitions
SELECT axis,
from_status,
to_status
FROM ( VALUES ('run'::text,'BLOCKED'::text,'RUN'::text), ('run'::text,'BLOCKED'::text,'REJECTED'::text), ('run'::text,'BLOCKED'::text,'EXPIRED'::text), ('run'::text,'RUN'::text,'EXPIRED'::text), ('run'::text,'RUN'::text,'BLOCKED'::text), ('run'::text,'RUN'::text,'RUNNING'::text), ('run'::text,'RUN'::text,'CLAIMED'::text), ('run'::text,'RUN'::text,'RECORDED'::text), ('run'::text,'CLAIMED'::text,'RUNNING'::text), ('run'::text,'CLAIMED'::text,'RUN'::text), ('run'::text,'RUNNING'::text,'RUN'::text), ('run'::text,'RUNNING'::text,'BLOCKED'::text), ('run'::text,'RUNNING'::text,'SUCCEEDED'::text), ('run'::text,'RUNNING'::text,'FAILED'::text), ('run'::text,'RUNNING'::text,'TIMED_OUT'::text), ('run'::text,'RUNNING'::text,'DEAD_LETTERED'::text), ('run'::text,'CLAIMED'::text,'DEAD_LETTERED'::text), ('run'::text,'CLAIMED'::text,'FAILED'::text), ('run'::text,'DEAD_LETTERED'::text,'RUN'::text), ('run'::text,'BLOCKED'::text,'CANCELLED'::text), ('run'::text,'RUN'::text,'CANCELLED'::text), ('run'::text,'CLAIMED'::text,'CANCELLED'::text), ('run'::text,'RUNNING'::text,'CANCELLED'::text), ('step'::text,'running'::text,'succeeded'::text), ('step'::text,'running'::text,'skipped'::text), ('step'::text,'running'::text,'failed'::text), ('step'::text,'running'::text,'timed_out'::text), ('step'::text,'running'::text,'cancelled'::text), ('step'::text,'running'::text,'abandoned'::text), ('approval'::text,'pending'::text,'approved'::text), ('approval'::text,'pending'::text,'rejected'::text), ('approval'::text,'pending'::text,'deferred'::text), ('approval'::text,'pending'::text,'expired'::text), ('approval'::text,'pending'::text,'invalidated'::text), ('approval'::text,'approved'::text,'invalidated'::text), ('approval'::text,'approved'::text,'expired'::text), ('approval'::text,'approved'::text,'executed'::text), ('approval'::text,'approved'::text,'execution_failed'::text), ('approval'::text,'deferred'::text,'invalidated'::text), ('grant'::text,'active'::text,'consumed'::text), ('grant'::text,'active'::text,'revoked'::text), ('grant'::text,'active'::text,'expired'::text)) t(axis, from_status, to_status);
