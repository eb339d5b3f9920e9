import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { SCHEMA } from '@migrations';
import { dropDatabase, ensureDatabase, MigrationChangedError, MigrationOrderError, runMigrations, withDatabase } from './migration-runner';
import { SchemaPlan } from './schema-plan';

/** Each case on a database of its own, on the test server. */
describe('the migration runner on PostgreSQL', () => {
  const serverUrl = () => withDatabase(process.env.DATABASE_URL as string, 'postgres');
  const made: string[] = [];
  async function freshDatabase(): Promise<string> {
    const name = `cp_migrate_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(serverUrl(), name);
    made.push(name);
    return withDatabase(serverUrl(), name);
  }
  afterAll(async () => {
    for (const name of made) await dropDatabase(serverUrl(), name);
  });

  async function scalar<T>(url: string, sql: string): Promise<T> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows[0].value as T;
    } finally {
      await client.end();
    }
  }

  it('applies every migration and routine once, records their checksums, and has nothing to do the second time', async () => {
    const url = await freshDatabase();
    const first = await runMigrations(url, SCHEMA);
    expect(first.applied).toHaveLength(SCHEMA.migrations.length);
    expect(first.routines).toEqual(SCHEMA.routines.map((routine) => routine.file));
    expect(await scalar<number>(url, `SELECT count(*)::int AS value FROM schema_checksums`)).toBe(
      SCHEMA.migrations.length + SCHEMA.routines.length,
    );
    expect(await runMigrations(url, SCHEMA)).toEqual({ applied: [], routines: [] });
  });

  it('refuses to start, naming the file, when a landed migration sends other SQL than it did', async () => {
    const url = await freshDatabase();
    await runMigrations(url, SCHEMA);
    const landed = SCHEMA.migrations[1];
    class Edited extends landed.migration {
      override async up(queryRunner: QueryRunner): Promise<void> {
        await super.up(queryRunner);
        await queryRunner.query(`CREATE INDEX edited_after_landing ON approvals (created_at)`);
      }
    }
    const edited: SchemaPlan = {
      ...SCHEMA,
      migrations: SCHEMA.migrations.map((entry) => (entry === landed ? { ...entry, migration: Edited } : entry)),
    };
    const refusal = runMigrations(url, edited);
    await expect(refusal).rejects.toBeInstanceOf(MigrationChangedError);
    await expect(runMigrations(url, edited)).rejects.toThrow(`migrations/${landed.file} changed after it was applied`);
    // Nothing of the edit ran.
    expect(await scalar<boolean>(url, `SELECT to_regclass('edited_after_landing') IS NULL AS value`)).toBe(true);
  });

  it('re-applies only the routine whose text changed', async () => {
    const url = await freshDatabase();
    await runMigrations(url, SCHEMA);
    const target = SCHEMA.routines.find((routine) => routine.file === 'audit.chain-has-event.ts');
    if (!target) throw new Error('the routine under test is gone');
    const changed = { ...target, sql: target.sql.replace('SELECT EXISTS', 'SELECT /* changed */ EXISTS') };
    const plan: SchemaPlan = { ...SCHEMA, routines: SCHEMA.routines.map((routine) => (routine === target ? changed : routine)) };
    expect((await runMigrations(url, plan)).routines).toEqual([target.file]);
    expect(await scalar<string>(url, `SELECT prosrc AS value FROM pg_proc WHERE proname = 'audit_chain_has_event'`)).toContain(
      '/* changed */',
    );
  });

  it('an older release (it lacks a migration the database has) leaves the routines as they are', async () => {
    const url = await freshDatabase();
    await runMigrations(url, SCHEMA);
    const older: SchemaPlan = {
      migrations: SCHEMA.migrations.slice(0, -1),
      routines: SCHEMA.routines.map((routine) => ({ ...routine, sql: `${routine.sql} -- older` })),
    };
    expect((await runMigrations(url, older)).routines).toEqual([]);
  });

  it('a migration that does anything but send SQL is refused', async () => {
    class NotSql implements MigrationInterface {
      name = 'NotSql1795999999999';
      async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.createDatabase('elsewhere');
      }
      async down(): Promise<void> {}
    }
    const url = await freshDatabase();
    await expect(
      runMigrations(url, { migrations: [{ file: '1795999999999-not-sql.ts', migration: NotSql }], routines: [] }),
    ).rejects.toThrow(/1795999999999-not-sql\.ts uses queryRunner\.createDatabase/);
  });

  it('refuses a new migration named before one already applied, naming both (a fresh database would run it in another order)', async () => {
    class Late implements MigrationInterface {
      name = 'Late1795000000001';
      async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query('SELECT 1');
      }
      async down(): Promise<void> {}
    }
    const url = await freshDatabase();
    await runMigrations(url, SCHEMA);
    const late: SchemaPlan = { ...SCHEMA, migrations: [{ file: '1795000000001-late.ts', migration: Late }, ...SCHEMA.migrations] };
    const newest = SCHEMA.migrations[SCHEMA.migrations.length - 1].file;
    await expect(runMigrations(url, late)).rejects.toThrow(MigrationOrderError);
    await expect(runMigrations(url, late)).rejects.toThrow(
      `migrations/1795000000001-late.ts is not applied here, yet is named before migrations/${newest}`,
    );
    expect(await scalar<number>(url, `SELECT count(*)::int AS value FROM schema_migrations WHERE name = 'Late1795000000001'`)).toBe(0);
  });

  it('a routine file folded into another leaves no record, and its definition is the one that now stands', async () => {
    const url = await freshDatabase();
    const target = SCHEMA.routines.find((routine) => routine.file === 'audit.chain-has-event.ts');
    if (!target) throw new Error('the routine under test is gone');
    // Before: the definition lived in a file of its own, superseded by a later one.
    const before: SchemaPlan = {
      ...SCHEMA,
      routines: [
        ...SCHEMA.routines,
        { ...target, file: 'audit.chain-has-event-superseding.ts', sql: target.sql.replace('SELECT EXISTS', 'SELECT /* later */ EXISTS') },
      ],
    };
    await runMigrations(url, before);
    const folded = { ...target, sql: target.sql.replace('SELECT EXISTS', 'SELECT /* folded */ EXISTS') };
    const after: SchemaPlan = { ...SCHEMA, routines: SCHEMA.routines.map((routine) => (routine === target ? folded : routine)) };
    expect((await runMigrations(url, after)).routines).toEqual([target.file]);
    expect(
      await scalar<number>(url, `SELECT count(*)::int AS value FROM schema_checksums WHERE name = 'audit.chain-has-event-superseding.ts'`),
    ).toBe(0);
    expect(await scalar<string>(url, `SELECT prosrc AS value FROM pg_proc WHERE proname = 'audit_chain_has_event'`)).toContain(
      '/* folded */',
    );
  });
});
