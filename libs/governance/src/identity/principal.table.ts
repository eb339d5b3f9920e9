import { defineTable, RowOf } from '@lib/database';

/**
 * Glossary
 * - principal: a person or a service, with roles and project scopes; who approved what is a
 *   principal, whichever of its credentials it used.
 * - credential: what a request was authenticated with: one of the principal's API keys
 *   (`api_key:<id>`), or an access token from the identity provider (`oidc:<token id>`).
 * - signed-in principal: a person found by (issuer, subject) of a verified token; its roles and
 *   scopes are those the configured rules give the token's claims, refreshed at each sign-in.
 */
export const PRINCIPALS_TABLE = defineTable('principals', 'governance', {
  id: 'uuid',
  kind: 'text',
  name: 'text',
  roles: '_text',
  project_ids: '_text',
  issuer: 'text?',
  subject: 'text?',
  created_by: 'text',
  created_at: 'timestamptz',
});

export type PrincipalRow = RowOf<typeof PRINCIPALS_TABLE.columns>;
