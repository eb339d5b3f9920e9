import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A service or agent principal's name names one principal, whatever its letters' case
 * (`Deploy-Bot` is `deploy-bot` to a reader): minting a key under a name already taken is refused (409 principal_name_taken) instead of making a second principal of that name.
 * People (signed in, named by the identity provider) may share names, and so may the principals
 * the system makes (the bootstrap admin, once per BOOTSTRAP_ADMIN_KEY).
 *
 * Names shared before this rule stay as they are: of each group, the oldest principal holds the
 * name and the others are marked name_shared_before, outside the unique index. Nothing is
 * renamed, so no answer, audit event or receiver sees a name change. A row is never marked
 * afterwards (routines/identity.principals-name-shared.ts), so the mark cannot make a new
 * duplicate.
 */
export class PrincipalNames1795580000000 implements MigrationInterface {
  name = 'PrincipalNames1795580000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE principals ADD COLUMN name_shared_before boolean NOT NULL DEFAULT false`);
    await q(`
      UPDATE principals p SET name_shared_before = true
      WHERE p.issuer IS NULL AND p.created_by <> 'system'
        AND EXISTS (SELECT 1 FROM principals o
                    WHERE o.issuer IS NULL AND o.created_by <> 'system' AND lower(o.name) = lower(p.name)
                      AND (o.created_at, o.id) < (p.created_at, p.id))`);
    await q(
      `CREATE UNIQUE INDEX principals_name ON principals (lower(name)) WHERE issuer IS NULL AND created_by <> 'system' AND NOT name_shared_before`,
    );
    await q(`
      CREATE OR REPLACE FUNCTION principals_name_shared_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER principals_name_shared_guard BEFORE INSERT OR UPDATE OF name_shared_before ON principals
             FOR EACH ROW EXECUTE FUNCTION principals_name_shared_guard()`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
