import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrationChecksum } from '@lib/database';
import { SCHEMA } from '@migrations';
import { ROOT } from './source-files';

/** The schema plan is the files, all of them, in order; each migration is plain SQL the runner can checksum. */
describe('the schema plan', () => {
  it('finds every migration file, oldest first, each exporting one class named after its timestamp', () => {
    const files = readdirSync(join(ROOT, 'migrations')).filter((name) => /^\d{13}-.+\.ts$/.test(name));
    expect(SCHEMA.migrations.map((entry) => entry.file)).toEqual(files.sort());
    expect(new Set(files.map((file) => file.slice(0, 13))).size).toBe(files.length);
    for (const entry of SCHEMA.migrations) expect(new entry.migration().name).toMatch(new RegExp(`${entry.file.slice(0, 13)}$`));
  });

  it('lists every routine file once; each belongs to the lib its name starts with and only creates or replaces', () => {
    const files = readdirSync(join(ROOT, 'migrations', 'routines')).filter((name) => name.endsWith('.ts') && name !== 'index.ts');
    expect(SCHEMA.routines.map((routine) => routine.file).sort()).toEqual(files.sort());
    for (const routine of SCHEMA.routines) {
      expect(routine.file.split('.')[0]).toBe(routine.owner);
      expect(routine.sql.trim()).toMatch(/^CREATE OR REPLACE (FUNCTION|VIEW) /);
    }
  });

  it('each function and view is defined in one routine file only, so the file one opens is the definition that stands', () => {
    const definedBy = new Map<string, string[]>();
    for (const routine of SCHEMA.routines) {
      for (const [, name] of routine.sql.matchAll(/CREATE OR REPLACE (?:FUNCTION|VIEW) ([a-z_]+)/g)) {
        definedBy.set(name, [...(definedBy.get(name) ?? []), routine.file]);
      }
    }
    expect([...definedBy].filter(([, files]) => files.length > 1)).toEqual([]);
    expect(definedBy.size).toBeGreaterThanOrEqual(SCHEMA.routines.length);
  });

  it('each migration sends SQL only, so its checksum is made without a database, and is stable', async () => {
    for (const entry of SCHEMA.migrations) {
      const checksum = await migrationChecksum(entry);
      expect(checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(await migrationChecksum(entry)).toBe(checksum);
    }
  });
});
