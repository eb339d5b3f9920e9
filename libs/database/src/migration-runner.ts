import { Client } from 'pg';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { connectionOf, PgConnection } from './pg-connection';
import { migrationChecksum, MigrationEntry, MIGRATIONS_TABLE, routineChecksum, SCHEMA_CHECKSUMS_TABLE, SchemaPlan } from './schema-plan';

/** A fixed advisory-lock key, so that two processes starting together apply migrations once. */
const MIGRATION_LOCK_KEY = 4_242_001;

export interface MigrationReport {
  readonly applied: string[];
  readonly routines: string[];
}

/** A landed migration whose SQL is no longer what was applied. The process must not start. */
export class MigrationChangedError extends Error {
  constructor(
    readonly file: string,
    recorded: string,
    current: string,
  ) {
    super(
      `migration migrations/${file} changed after it was applied to this database (recorded checksum ${recorded.slice(0, 12)}…, ` +
        `now ${current.slice(0, 12)}…). A migration that has landed never changes: restore it and put the change in a new migration.`,
    );
  }
}

/** A new migration named before one already applied: on this database it would run after it, on a fresh one before. */
export class MigrationOrderError extends Error {
  constructor(file: string, newest: string) {
    super(
      `migration migrations/${file} is not applied here, yet is named before migrations/${newest}, which is: ` +
        'a new migration must be named after every applied one (rename it with a later timestamp).',
    );
  }
}

/**
 * Brings the schema forward, holding a session advisory lock so that several API or worker
 * processes may start at once against one database:
 * 1. every applied migration is checked against its recorded checksum (one applied before
 *    checksums existed is recorded now);
 * 2. pending migrations run, each in its own transaction, which also records its checksum;
 * 3. routines whose text changed are re-applied, in order, in one transaction (and the record
 *    of a routine file that no longer exists is dropped); unless the database holds migrations
 *    this code does not know (an older release must not put back older routines).
 * A pending migration named before an applied one is refused (MigrationOrderError): the plan is
 * the files in name order, so a fresh database and an upgraded one must apply them alike.
 */
export async function runMigrations(target: string | PgConnection, plan: SchemaPlan): Promise<MigrationReport> {
  const connection = connectionOf(target);
  const lock = new Client({ ...connection, application_name: 'control-plane-migrate' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await lock.query(`
      CREATE TABLE IF NOT EXISTS ${SCHEMA_CHECKSUMS_TABLE.name} (
        kind text NOT NULL CHECK (kind IN ('migration', 'routine')),
        name text NOT NULL,
        checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, name)
      )`);
    const checksums = new Map<string, string>();
    for (const entry of plan.migrations) checksums.set(entry.file, await migrationChecksum(entry));
    const appliedNames = await appliedMigrations(lock);
    await verifyApplied(lock, plan, checksums, appliedNames);
    assertPendingAfterApplied(plan, appliedNames);
    const applied = await applyPending(connection, plan, checksums);
    const known = new Set(plan.migrations.map(migrationName));
    const newer = [...appliedNames].filter((name) => !known.has(name));
    const routines = newer.length === 0 ? await applyRoutines(lock, plan) : [];
    return { applied, routines };
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

/** What a database lacks of the plan: migrations not applied, routines whose text is not the one applied. */
export interface SchemaStatus {
  readonly pendingMigrations: string[];
  readonly staleRoutines: string[];
}

/** Reads, changes nothing, takes no lock: for a process that must not migrate (MIGRATIONS_RUN=false). */
export async function schemaStatus(target: string | PgConnection, plan: SchemaPlan): Promise<SchemaStatus> {
  const client = new Client({ ...connectionOf(target), application_name: 'control-plane-schema-check' });
  await client.connect();
  try {
    const applied = await appliedMigrations(client);
    const pendingMigrations = plan.migrations.filter((entry) => !applied.has(migrationName(entry))).map((entry) => entry.file);
    const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [SCHEMA_CHECKSUMS_TABLE.name]);
    const recorded = rows[0].exists ? await recordedRoutines(client) : new Map<string, string>();
    return { pendingMigrations, staleRoutines: staleRoutinesOf(plan, recorded).map((routine) => routine.file) };
  } finally {
    await client.end();
  }
}

/** The schema is behind the code and this process may not bring it forward (MIGRATIONS_RUN=false). */
export class SchemaBehindError extends Error {
  constructor(status: SchemaStatus) {
    const parts = [
      status.pendingMigrations.length > 0
        ? `${status.pendingMigrations.length} migration(s) not applied (first: migrations/${status.pendingMigrations[0]})`
        : null,
      status.staleRoutines.length > 0
        ? `${status.staleRoutines.length} routine(s) not current (first: migrations/routines/${status.staleRoutines[0]})`
        : null,
    ].filter((part) => part !== null);
    super(`the database schema is behind this release: ${parts.join(', ')}. MIGRATIONS_RUN=false, so run \`npm run migrate\` first`);
  }
}

function assertPendingAfterApplied(plan: SchemaPlan, applied: Set<string>): void {
  const newest = plan.migrations.filter((entry) => applied.has(migrationName(entry))).at(-1);
  if (!newest) return;
  const early = plan.migrations.find((entry) => !applied.has(migrationName(entry)) && entry.file < newest.file);
  if (early) throw new MigrationOrderError(early.file, newest.file);
}

async function appliedMigrations(client: Client): Promise<Set<string>> {
  const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [MIGRATIONS_TABLE.name]);
  if (!rows[0].exists) return new Set();
  const applied = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE.name}`);
  return new Set(applied.rows.map((row) => row.name));
}

async function verifyApplied(client: Client, plan: SchemaPlan, checksums: Map<string, string>, applied: Set<string>): Promise<void> {
  const { rows } = await client.query<{ name: string; checksum: string }>(
    `SELECT name, checksum FROM ${SCHEMA_CHECKSUMS_TABLE.name} WHERE kind = 'migration'`,
  );
  const recorded = new Map(rows.map((row) => [row.name, row.checksum]));
  for (const entry of plan.migrations) {
    if (!applied.has(migrationName(entry))) continue;
    const current = checksums.get(entry.file) as string;
    const before = recorded.get(entry.file);
    if (before === undefined) {
      await client.query(`INSERT INTO ${SCHEMA_CHECKSUMS_TABLE.name} (kind, name, checksum) VALUES ('migration', $1, $2)`, [
        entry.file,
        current,
      ]);
    } else if (before !== current) {
      throw new MigrationChangedError(entry.file, before, current);
    }
  }
}

/** TypeORM runs the pending migrations; each also records its checksum inside its own transaction. */
async function applyPending(connection: PgConnection, plan: SchemaPlan, checksums: Map<string, string>): Promise<string[]> {
  const migrations = plan.migrations.map((entry) => recordingChecksum(entry, checksums.get(entry.file) as string));
  const dataSource = new DataSource({
    type: 'postgres',
    url: connection.connectionString,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE.name,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { ...connection, max: 1, application_name: 'control-plane-migrate' },
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

function recordingChecksum(entry: MigrationEntry, checksum: string): new () => MigrationInterface {
  const Base = entry.migration;
  return class extends Base {
    override async up(queryRunner: QueryRunner): Promise<void> {
      await super.up(queryRunner);
      await queryRunner.query(`INSERT INTO ${SCHEMA_CHECKSUMS_TABLE.name} (kind, name, checksum) VALUES ('migration', $1, $2)`, [
        entry.file,
        checksum,
      ]);
    }
  };
}

/** Each routine's checksum as recorded when it was last applied. */
async function recordedRoutines(client: Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; checksum: string }>(
    `SELECT name, checksum FROM ${SCHEMA_CHECKSUMS_TABLE.name} WHERE kind = 'routine'`,
  );
  return new Map(rows.map((row) => [row.name, row.checksum]));
}

/** The routines whose text is not the one applied: what applying re-applies, and what a check without migrating reports. */
function staleRoutinesOf(plan: SchemaPlan, recorded: ReadonlyMap<string, string>): SchemaPlan['routines'] {
  return plan.routines.filter((routine) => recorded.get(routine.file) !== routineChecksum(routine));
}

async function applyRoutines(client: Client, plan: SchemaPlan): Promise<string[]> {
  const recorded = await recordedRoutines(client);
  const changed = staleRoutinesOf(plan, recorded);
  const files = plan.routines.map((routine) => routine.file);
  const gone = [...recorded.keys()].filter((name) => !files.includes(name));
  if (changed.length === 0 && gone.length === 0) return [];
  await client.query('BEGIN');
  try {
    // A routine file folded into another (its definition now lives there) leaves no record behind.
    await client.query(`DELETE FROM ${SCHEMA_CHECKSUMS_TABLE.name} WHERE kind = 'routine' AND name = ANY($1::text[])`, [gone]);
    for (const routine of changed) {
      try {
        await client.query(routine.sql);
      } catch (error) {
        throw new Error(`routine migrations/routines/${routine.file} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      await client.query(
        `INSERT INTO ${SCHEMA_CHECKSUMS_TABLE.name} (kind, name, checksum) VALUES ('routine', $1, $2)
         ON CONFLICT (kind, name) DO UPDATE SET checksum = EXCLUDED.checksum, recorded_at = now()`,
        [routine.file, routineChecksum(routine)],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return changed.map((routine) => routine.file);
}

function migrationName(entry: MigrationEntry): string {
  const instance = new entry.migration();
  return instance.name ?? entry.migration.name;
}

/** Creates a database on the server named by `serverUrl` unless it exists. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  assertSafeIdentifier(name);
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  assertSafeIdentifier(name);
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function assertSafeIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe database name: ${name}`);
}
