import { defineTable, RowOf } from '@lib/database';

/**
 * Glossary
 * - grant: a single-use build authorization (seed 004), minted when an approval of an action
 *   with `mints_grant` commits; `auth_code` = `GBA-` + the run's id, so it can be minted once.
 * - consume: the one use of a grant, a compare-and-set from active to consumed.
 */
export const GRANTS_TABLE = defineTable('governance_grants', 'grants', {
  auth_code: 'text',
  execution_run_id: 'uuid',
  approval_id: 'uuid',
  project_id: 'text',
  status: 'text',
  scope: 'jsonb',
  approval_ref: 'jsonb',
  evidence: 'jsonb',
  rollback_plan_ref: 'text',
  commit_allowed: 'bool',
  ttl_seconds: 'int4',
  granted_by: 'text',
  granted_at: 'timestamptz',
  expires_at: 'timestamptz',
  consumed_at: 'timestamptz?',
  consumed_by: 'text?',
  revoked_at: 'timestamptz?',
  revoked_by: 'text?',
  revoked_reason: 'text?',
});

export type GrantRow = RowOf<typeof GRANTS_TABLE.columns> & {
  scope: { namespace: string; target: string; axis?: string | null };
  approval_ref: Record<string, unknown>;
  evidence: Record<string, unknown>;
};

export function authCodeFor(executionRunId: string): string {
  return `GBA-${executionRunId}`;
}

export const AUTH_CODE_PATTERN = /^GBA-[A-Za-z0-9-]{1,64}$/;
