import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrationChecksum } from '@lib/database';
import { SCHEMA } from '@migrations';
import { SCHEMA as LANDED } from '../../migrations/index';
import { ROOT } from './source-files';

/** The schema plan is the files, all of them, in order; each migration is plain SQL the runner can checksum. */
describe('the schema plan', () => {
  it('lists every migration file, oldest first, under its own name', () => {
    const files = readdirSync(join(ROOT, 'migrations')).filter((name) => /^\d{13}-.+\.ts$/.test(name));
    expect(SCHEMA.migrations.map((entry) => entry.file)).toEqual(files.sort());
    for (const entry of SCHEMA.migrations) expect(new entry.migration().name).toMatch(new RegExp(`${entry.file.slice(0, 13)}$`));
  });

  it('lists every routine file once; each belongs to the lib its name starts with and only creates or replaces', () => {
    const files = readdirSync(join(ROOT, 'migrations', 'routines')).filter((name) => name.endsWith('.ts'));
    expect(SCHEMA.routines.map((routine) => routine.file).sort()).toEqual(files.sort());
    for (const routine of SCHEMA.routines) {
      expect(routine.file.split('.')[0]).toBe(routine.owner);
      expect(routine.sql.trim()).toMatch(/^CREATE OR REPLACE (FUNCTION|VIEW) /);
    }
  });

  it('the landed plan is a prefix of the plan, and a routine that supersedes a landed one is listed after it', () => {
    expect(SCHEMA.migrations.slice(0, LANDED.migrations.length)).toEqual(LANDED.migrations);
    expect(SCHEMA.routines.slice(0, LANDED.routines.length)).toEqual(LANDED.routines);
    const definedBy = new Map<string, string[]>();
    for (const routine of SCHEMA.routines) {
      for (const [, name] of routine.sql.matchAll(/CREATE OR REPLACE (?:FUNCTION|VIEW) ([a-z_]+)/g)) {
        definedBy.set(name, [...(definedBy.get(name) ?? []), routine.file]);
      }
    }
    const landed = new Set(LANDED.routines.map((routine) => routine.file));
    for (const [name, files] of definedBy) {
      // Only the last definition stands on a fresh database: it must be one that came after the landed plan.
      if (files.length > 1) expect([name, landed.has(files[files.length - 1])]).toEqual([name, false]);
    }
  });

  it('each migration sends SQL only, so its checksum is made without a database, and is stable', async () => {
    for (const entry of SCHEMA.migrations) {
      const checksum = await migrationChecksum(entry);
      expect(checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(await migrationChecksum(entry)).toBe(checksum);
    }
  });
});
