import { defineTable } from '@lib/database';

/** Every policy file ever loaded, by the hash of its canonical JSON. */
export const POLICY_VERSIONS_TABLE = defineTable('policy_versions', 'policy', {
  hash: 'text',
  document: 'jsonb',
  loaded_at: 'timestamptz',
});

/** The action types of the loaded policy, so runs can reference them (no policy, no run); retired, never deleted. */
export const ACTION_TYPES_TABLE = defineTable('action_types', 'policy', {
  code: 'text',
  description: 'text',
  approval_level: 'int2',
  required_approvals: 'int2',
  approver_roles: '_text',
  approval_ttl_seconds: 'int4',
  allowed_scopes: 'jsonb',
  mints_grant: 'bool',
  policy_hash: 'text',
  retired_at: 'timestamptz?',
  updated_at: 'timestamptz',
  handler: 'text',
  immediate: 'bool',
  max_attempts: 'int2',
  sla_class: 'text',
  allowed_urls: '_text',
});
