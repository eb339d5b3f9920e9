import { MigrationInterface, QueryRunner } from 'typeorm';
import { sha256Hex } from '@lib/common';
import { defineTable } from './table';

/**
 * Glossary
 * - migration: a versioned, forward-only change (tables, columns, constraints, indexes,
 *   triggers, data). Once it has landed it never changes: the runner records a checksum of the
 *   SQL it sends and refuses to start when a recorded migration's SQL differs.
 * - routine: the current definition of a function or view, one file each, stated once. Routines
 *   are re-applied (CREATE OR REPLACE) after the migrations whenever their text changes.
 */
export interface MigrationEntry {
  /** The file under migrations/, named in errors. */
  readonly file: string;
  readonly migration: new () => MigrationInterface;
}

export interface RoutineEntry {
  /** The file under migrations/routines/, named in errors and in the checksum table. */
  readonly file: string;
  /** The lib whose rule this is. */
  readonly owner: string;
  /** Re-runnable SQL: CREATE OR REPLACE FUNCTION / VIEW. */
  readonly sql: string;
}

export interface SchemaPlan {
  /** Oldest first. */
  readonly migrations: readonly MigrationEntry[];
  /** In the order they are applied (a routine may use the ones before it). */
  readonly routines: readonly RoutineEntry[];
}

export const MIGRATIONS_TABLE = defineTable('schema_migrations', 'database', { id: 'int4', timestamp: 'int8', name: 'varchar' });
export const SCHEMA_CHECKSUMS_TABLE = defineTable('schema_checksums', 'database', {
  kind: 'text',
  name: 'text',
  checksum: 'text',
  recorded_at: 'timestamptz',
});

/**
 * The SHA-256 of the statements a migration sends, in order. `up` runs against a recorder
 * that answers every query with no rows, so it needs no database; a migration that calls
 * anything but queryRunner.query is refused (migrations here are SQL).
 */
export async function migrationChecksum(entry: MigrationEntry): Promise<string> {
  const statements: string[] = [];
  const recorder = {
    query: (sql: string, parameters?: unknown[]) => {
      statements.push(parameters && parameters.length > 0 ? `${sql}\n-- parameters: ${JSON.stringify(parameters)}` : sql);
      return Promise.resolve([]);
    },
  };
  const queryRunner = new Proxy(recorder, {
    get(target, property) {
      if (property === 'query') return target.query;
      if (property === 'then') return undefined;
      throw new Error(
        `migration ${entry.file} uses queryRunner.${String(property)}; migrations here send SQL through queryRunner.query only`,
      );
    },
  }) as unknown as QueryRunner;
  await new entry.migration().up(queryRunner);
  return sha256Hex(statements.join('\n;\n'));
}

export function routineChecksum(routine: RoutineEntry): string {
  return sha256Hex(routine.sql);
}
