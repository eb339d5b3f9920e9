import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identity per person or service, not per key. A principal has roles and project scopes; keys
 * belong to a principal (several, for rotation) and may be narrower than it; a person signed in
 * through the organisation's identity provider is a principal found by (issuer, subject).
 * Every key that exists becomes a service principal of its own, with the key's id, so every
 * requester, voter and actor recorded so far already names a principal. Runs, votes and audit
 * events also record the credential used (`api_key:<id>`, `oidc:<token id>`).
 */
export class Principals1795500000000 implements MigrationInterface {
  name = 'Principals1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`
      CREATE TABLE principals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('person', 'service')),
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
        roles text[] NOT NULL DEFAULT '{}' CHECK (roles <@ ARRAY['requester', 'approver', 'admin']),
        project_ids text[] NOT NULL DEFAULT '{}',
        issuer text CHECK (issuer IS NULL OR char_length(issuer) BETWEEN 1 AND 2000),
        subject text CHECK (subject IS NULL OR char_length(subject) BETWEEN 1 AND 255),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT principals_identity_pair CHECK ((issuer IS NULL) = (subject IS NULL)),
        CONSTRAINT principals_signed_in_are_people CHECK (issuer IS NULL OR kind = 'person')
      )`);
    await q(`CREATE UNIQUE INDEX principals_identity ON principals (issuer, subject) WHERE issuer IS NOT NULL`);
    await q(`INSERT INTO principals (id, kind, name, roles, project_ids, created_by, created_at)
             SELECT id, 'service', name, roles, project_ids, created_by, created_at FROM api_keys`);
    await q(`ALTER TABLE api_keys
               ADD COLUMN principal_id uuid REFERENCES principals (id),
               ADD COLUMN expires_at timestamptz,
               ADD COLUMN last_used_at timestamptz,
               ADD COLUMN revoked_by text,
               ADD COLUMN revoked_reason text CHECK (revoked_reason IS NULL OR char_length(revoked_reason) BETWEEN 1 AND 2000)`);
    await q(`UPDATE api_keys SET principal_id = id`);
    await q(`ALTER TABLE api_keys ALTER COLUMN principal_id SET NOT NULL`);
    await q(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_revocation_after_revoked CHECK (revoked_at IS NOT NULL OR (revoked_by IS NULL AND revoked_reason IS NULL))`,
    );
    await q(`CREATE INDEX api_keys_principal_idx ON api_keys (principal_id)`);

    await q(
      `ALTER TABLE execution_runs ADD COLUMN requested_via text CHECK (requested_via IS NULL OR char_length(requested_via) BETWEEN 1 AND 300)`,
    );
    await q(`UPDATE execution_runs SET requested_via = 'api_key:' || requested_by
             WHERE requested_by ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`);
    await q(
      `ALTER TABLE approval_decisions ADD COLUMN credential text CHECK (credential IS NULL OR char_length(credential) BETWEEN 1 AND 300)`,
    );
    await q(`ALTER TABLE audit_events ADD COLUMN actor_credential text`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
