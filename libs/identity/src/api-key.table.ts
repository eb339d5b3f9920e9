import { defineTable, RowOf } from '@lib/database';

/**
 * An API key of a principal. Only the SHA-256 of the key is stored; the key itself is shown
 * once, at minting. A key may be narrower than its principal (its role grants are a
 * subset); what it may do is what both allow.
 */
export const API_KEYS_TABLE = defineTable('api_keys', 'identity', {
  id: 'uuid',
  name: 'text',
  key_hash: 'text',
  key_prefix: 'text',
  created_by: 'text',
  created_at: 'timestamptz',
  revoked_at: 'timestamptz?',
  principal_id: 'uuid',
  expires_at: 'timestamptz?',
  last_used_at: 'timestamptz?',
  revoked_by: 'text?',
  revoked_reason: 'text?',
  role_grants: '_text',
  created_via: 'text?',
});

export type ApiKeyRow = RowOf<typeof API_KEYS_TABLE.columns>;
