import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@lib/config';
import { dropDatabase, ensureDatabase, runMigrations, withDatabase } from '@lib/database';
import { SCHEMA } from '@migrations';
import { ApiProcess, runCompiledScript } from '@tools/harness';
import { createApiApp } from '../../apps/api/src/bootstrap';

/**
 * The PostgreSQL session settings, on databases of this spec's own (it locks a table, which
 * would stall the other specs on the suite's database): the statement timeout cancels a
 * statement that waits too long and the request is answered 503 database_timeout, never left
 * hanging; the idle-in-transaction timeout is set on the pool's connections; and with
 * MIGRATIONS_RUN=false the API refuses a database whose schema is behind until `npm run
 * migrate` has brought it forward.
 */
describe('PostgreSQL settings', () => {
  const serverUrl = () => withDatabase(process.env.DATABASE_URL as string, 'postgres');
  const created: string[] = [];
  const database = async (prefix: string, migrated: boolean): Promise<string> => {
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(serverUrl(), name);
    created.push(name);
    const url = withDatabase(serverUrl(), name);
    if (migrated) await runMigrations(url, SCHEMA);
    return url;
  };
  afterAll(async () => {
    for (const name of created) await dropDatabase(serverUrl(), name);
  }, 60_000);

  describe('on the API', () => {
    const adminKey = `settings-admin-${randomBytes(12).toString('hex')}`;
    let app: NestFastifyApplication | undefined;
    let url = '';

    beforeAll(async () => {
      if (process.env.API_URL) return; // the settings are this spec's own app's
      url = await database('cp_settings', true);
      const config = loadConfig({
        ...process.env,
        DATABASE_URL: url,
        BOOTSTRAP_ADMIN_KEY: adminKey,
        WORKER_IN_PROCESS: 'false',
        DB_STATEMENT_TIMEOUT_MS: '300',
        DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '4321',
      });
      app = await createApiApp({ logger: false, config });
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    }, 60_000);
    afterAll(async () => {
      await app?.close();
    }, 60_000);

    it("sets the session timeouts on the pool's connections", async () => {
      if (!app) return;
      const dataSource = app.get(DataSource);
      expect(await dataSource.query('SHOW idle_in_transaction_session_timeout')).toEqual([
        { idle_in_transaction_session_timeout: '4321ms' },
      ]);
      expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '300ms' }]);
    });

    it('a statement past the statement timeout is cancelled: 503 database_timeout with Retry-After, not a hang', async () => {
      if (!app) return;
      const blocker = new Client({ connectionString: url });
      await blocker.connect();
      try {
        // The key lookup waits for this lock longer than the 300 ms it may run.
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');
        const response = await request(app.getHttpServer()).get('/api/v1/audit/events').set('Authorization', `Bearer ${adminKey}`);
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('2');
        expect(response.body.error.code).toBe('database_timeout');
        expect(response.body.error.message).toMatch(/statement timeout/);
      } finally {
        await blocker.query('ROLLBACK').catch(() => undefined);
        await blocker.end();
      }
      // The lock gone, the same request is served.
      const again = await request(app.getHttpServer()).get('/api/v1/audit/events').set('Authorization', `Bearer ${adminKey}`);
      expect(again.status).toBe(200);
    });
  });

  describe('MIGRATIONS_RUN=false', () => {
    it('the API refuses a fresh database, naming what to run; `npm run migrate` brings it forward; then it starts', async () => {
      if (process.env.API_URL) return;
      const url = await database('cp_nomigrate', false);
      const logFile = join(tmpdir(), `cp-nomigrate-${randomBytes(3).toString('hex')}.log`);
      await expect(ApiProcess.start({ databaseUrl: url, logFile, env: { MIGRATIONS_RUN: 'false', LOG_LEVEL: 'info' } })).rejects.toThrow(
        /exited before it was ready/,
      );
      expect(readFileSync(logFile, 'utf8')).toContain(
        `the database schema is behind this release: ${SCHEMA.migrations.length} migration(s) not applied (first: migrations/${SCHEMA.migrations[0].file})`,
      );
      expect(readFileSync(logFile, 'utf8')).toContain('MIGRATIONS_RUN=false, so run `npm run migrate` first');
      const untouched = new Client({ connectionString: url });
      await untouched.connect();
      try {
        expect((await untouched.query(`SELECT to_regclass('execution_runs') AS t`)).rows[0].t).toBeNull();
      } finally {
        await untouched.end();
      }

      const migrated = runCompiledScript({ script: 'dist/scripts/migrate.js', env: { ...process.env, DATABASE_URL: url } });
      expect(migrated.stderr).toBe('');
      expect(migrated.status).toBe(0);
      expect(JSON.parse(migrated.stdout).migrations_applied).toHaveLength(SCHEMA.migrations.length);

      const api = await ApiProcess.start({ databaseUrl: url, env: { MIGRATIONS_RUN: 'false' } });
      await api.stop();
    });
  });
});
