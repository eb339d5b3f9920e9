import { defineTable, RowOf } from '@lib/database';

/**
 * Glossary
 * - principal: a person or a service, with roles and project scopes; who approved what is a
 *   principal, whichever of its credentials it used.
 * - credential: what a request was authenticated with: one of the principal's API keys
 *   (`api_key:<id>`), or an access token from the identity provider (`oidc:<token id>`).
 * - role grant: a role on a project (`role@project`, `*`: every project); a principal holds a set.
 * - signed-in principal: a person found by (issuer, subject) of a verified token; its grants are
 *   those the configured rules give the token's claims, refreshed at each sign-in (last_seen_at).
 * - service approver: a service principal whose votes count, as an admin of every project marked
 *   it; every other vote must come from a person.
 * - agent: a principal for an AI agent (its tool calls come through the MCP gateway); it may act
 *   for a person (acts_for), who answers for what it asks. An agent never decides a run.
 * - disabled: a principal whose every credential is refused, until an admin enables it again.
 * - name: a service's or an agent's names one principal (a person's, from the identity provider,
 *   need not); name_shared_before marks those that shared one before that rule.
 */
export const PRINCIPALS_TABLE = defineTable('principals', 'identity', {
  id: 'uuid',
  kind: 'text',
  name: 'text',
  issuer: 'text?',
  subject: 'text?',
  created_by: 'text',
  created_at: 'timestamptz',
  role_grants: '_text',
  service_approver: 'bool',
  disabled_at: 'timestamptz?',
  disabled_by: 'text?',
  disabled_reason: 'text?',
  last_seen_at: 'timestamptz?',
  created_via: 'text?',
  acts_for: 'uuid?',
  name_shared_before: 'bool',
});

export type PrincipalRow = RowOf<typeof PRINCIPALS_TABLE.columns>;
