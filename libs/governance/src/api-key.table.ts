import { defineTable, RowOf } from '@lib/database';

/** An API key. Only the SHA-256 of the key is stored; the key itself is shown once, at minting. */
export const API_KEYS_TABLE = defineTable('api_keys', 'governance', {
  id: 'uuid',
  name: 'text',
  key_hash: 'text',
  key_prefix: 'text',
  roles: '_text',
  project_ids: '_text',
  created_by: 'text',
  created_at: 'timestamptz',
  revoked_at: 'timestamptz?',
});

export type ApiKeyRow = RowOf<typeof API_KEYS_TABLE.columns>;
