import { loadConfig } from '@lib/config';
import { SCHEMA } from '@migrations';
import { prepareDatabase } from './database-start';
import { SUPPORTED_POSTGRES_MAJORS } from './pg-connection';

describe('prepareDatabase', () => {
  it("reads the server's major (SHOW server_version_num) and finds the suite's schema current, with or without migrating", async () => {
    const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL });
    const migrated = await prepareDatabase(config, SCHEMA);
    expect(migrated.serverMajor).toBeGreaterThanOrEqual(SUPPORTED_POSTGRES_MAJORS.min);
    expect(migrated.migrations).toEqual({ applied: [], routines: [] });
    const checked = await prepareDatabase(loadConfig({ DATABASE_URL: process.env.DATABASE_URL, MIGRATIONS_RUN: 'false' }), SCHEMA);
    expect(checked).toEqual({ serverMajor: migrated.serverMajor, warning: migrated.warning, migrations: null });
  });
});
