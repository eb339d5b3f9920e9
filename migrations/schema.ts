import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationEntry, SchemaPlan } from '@lib/database';
import { ROUTINES } from './routines';

/** `<13-digit timestamp>-<name>.ts` (`.js` once built): a versioned migration. */
const MIGRATION_FILE = /^\d{13}-[a-z0-9-]+\.(ts|js)$/;

/**
 * The versioned migrations, found by file name in this folder, oldest first. Each file exports
 * one migration class. Once landed, a migration never changes: the runner checksums the SQL each
 * one sends and refuses to start when a recorded one differs; a new one is named after every
 * migration already applied (the runner refuses one that would slip in before them).
 */
function migrationsIn(folder: string): MigrationEntry[] {
  return readdirSync(folder)
    .filter((name) => MIGRATION_FILE.test(name))
    .sort()
    .map((name) => {
      // Found by name at run time, in the source tree (tests) and in the build alike.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = Object.values(require(join(folder, name)) as Record<string, unknown>).filter(
        (value): value is MigrationEntry['migration'] => typeof value === 'function',
      );
      if (exported.length !== 1) throw new Error(`migrations/${name} must export exactly one migration class`);
      return { file: name.replace(/\.js$/, '.ts'), migration: exported[0] };
    });
}

/**
 * The schema plan (`@migrations`): the versioned migrations, then the routines (every function,
 * trigger function and view, one file each with its current definition, re-applied when its text
 * changes; see routines/index.ts for their order).
 */
export const SCHEMA: SchemaPlan = { migrations: migrationsIn(__dirname), routines: ROUTINES };
