import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, runMigrations, schemaSnapshot, withDatabase } from '@lib/database';
import { SCHEMA } from '@migrations';
import { ROOT } from './source-files';

const SNAPSHOT = join(ROOT, 'migrations', 'schema.snapshot.sql');

/**
 * The schema the plan makes is the committed snapshot: a schema change shows in review as its
 * diff. After changing a migration or a routine, `npm run schema:snapshot` writes it again.
 */
describe('the schema snapshot', () => {
  it('a database made by the plan has exactly the schema of migrations/schema.snapshot.sql', async () => {
    const serverUrl = withDatabase(process.env.DATABASE_URL as string, 'postgres');
    const name = `cp_snapshot_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(serverUrl, name);
    try {
      const url = withDatabase(serverUrl, name);
      await runMigrations(url, SCHEMA);
      const made = await schemaSnapshot(url);
      if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(SNAPSHOT, made);
      expect(made).toBe(readFileSync(SNAPSHOT, 'utf8'));
    } finally {
      await dropDatabase(serverUrl, name);
    }
  });
});
