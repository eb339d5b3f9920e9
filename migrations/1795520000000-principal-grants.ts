import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Separation of duties that holds inside one project.
 * - Role grants: a principal and a key hold role-project pairs (`role@project`, `*` for every
 *   project) instead of a list of roles times a list of projects, so approver on one project and
 *   requester on another never make approver and requester on both. Every pair the old columns
 *   stood for becomes a grant (what each key and principal could do before, it can do now).
 * - Provenance: a principal and a key record the credential they were made with (created_via),
 *   beside the principal that made them (created_by): whoever minted a key holds it, and a key
 *   minted with a key is held by whoever holds that one.
 * - Lifecycle: a principal can be disabled (and enabled again), with who and why; a person's
 *   last sign-in is kept (their keys are suspended when they have not been seen for a while).
 * - Service approvers: a vote counts only from a person, unless an admin of every project marks
 *   a service principal as an approver (service_approver).
 * - A vote from a principal that may not decide is refused by the database too (the votes'
 *   guard asks principal_decision_refusal, the rule stated once in its routine; created here
 *   as a stub so that the routines may name it).
 */
export class PrincipalGrants1795520000000 implements MigrationInterface {
  name = 'PrincipalGrants1795520000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    const grant = `(requester|approver|admin|monitor)@(\\*|[A-Za-z0-9._:-]{1,128})`;
    const wellFormed = (column: string) =>
      `array_position(${column}, NULL) IS NULL AND (cardinality(${column}) = 0 OR array_to_string(${column}, ',') ~ '^${grant}(,${grant})*$')`;
    const pairs = `ARRAY(SELECT DISTINCT r || '@' || p FROM unnest(roles) r, unnest(project_ids) p ORDER BY 1)`;

    await q(`ALTER TABLE principals ADD COLUMN role_grants text[]`);
    await q(`UPDATE principals SET role_grants = ${pairs}`);
    await q(`ALTER TABLE principals
               ALTER COLUMN role_grants SET NOT NULL,
               ALTER COLUMN role_grants SET DEFAULT '{}',
               ADD CONSTRAINT principals_role_grants_check CHECK (${wellFormed('role_grants')}),
               DROP COLUMN roles,
               DROP COLUMN project_ids,
               ADD COLUMN service_approver boolean NOT NULL DEFAULT false,
               ADD COLUMN disabled_at timestamptz,
               ADD COLUMN disabled_by text,
               ADD COLUMN disabled_reason text CHECK (disabled_reason IS NULL OR char_length(disabled_reason) BETWEEN 1 AND 2000),
               ADD COLUMN last_seen_at timestamptz,
               ADD COLUMN created_via text CHECK (created_via IS NULL OR char_length(created_via) BETWEEN 1 AND 300),
               ADD CONSTRAINT principals_service_approvers_are_services CHECK (NOT service_approver OR kind = 'service'),
               ADD CONSTRAINT principals_disabled_with_who_and_why CHECK ((disabled_at IS NULL) = (disabled_by IS NULL AND disabled_reason IS NULL))`);
    // People already known were seen now, as far as the suspension of idle people's keys goes.
    await q(`UPDATE principals SET last_seen_at = now() WHERE kind = 'person'`);

    await q(`ALTER TABLE api_keys ADD COLUMN role_grants text[]`);
    await q(`UPDATE api_keys SET role_grants = ${pairs}`);
    await q(`ALTER TABLE api_keys
               ALTER COLUMN role_grants SET NOT NULL,
               ADD CONSTRAINT api_keys_role_grants_check CHECK (cardinality(role_grants) > 0 AND ${wellFormed('role_grants')}),
               DROP COLUMN roles,
               DROP COLUMN project_ids,
               ADD COLUMN created_via text CHECK (created_via IS NULL OR char_length(created_via) BETWEEN 1 AND 300)`);

    await q(
      `CREATE FUNCTION principal_decision_refusal(voter text, requester text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT NULL::text $$`,
    );
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
