import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { dropDatabase } from '@lib/database';
import { ApiProcess, createMigratedDatabase } from '@tools/harness';

/**
 * No install starts without a way in and none keeps an admin credential in its environment for
 * good: the compiled API, on a database of its own, refuses to start while nobody could
 * administer it (no BOOTSTRAP_ADMIN_KEY, no OIDC sign-in, no usable admin key), and starts
 * without the variable once an admin key exists. (`npm start` on the embedded database starts
 * without one, as before.)
 */
describe('an API on a database of its own and BOOTSTRAP_ADMIN_KEY', () => {
  const serverUrl = process.env.DATABASE_URL ?? '';
  const logFile = join(tmpdir(), `cp-bootstrap-admin-${randomBytes(4).toString('hex')}.log`);
  let database: { name: string; url: string } | undefined;

  beforeAll(async () => {
    if (process.env.API_URL) return; // against a running server there is no process of ours to start
    database = await createMigratedDatabase({ serverUrl, prefix: 'cp_bootstrap' });
  });
  afterAll(async () => {
    if (database) await dropDatabase(serverUrl, database.name);
    rmSync(logFile, { force: true });
  });

  /** Starts the API without BOOTSTRAP_ADMIN_KEY: its log when it refused, null when it became ready (and was stopped). */
  const startWithoutKey = async (env: Record<string, string> = {}): Promise<string | null> => {
    rmSync(logFile, { force: true });
    try {
      const api = await ApiProcess.start({ databaseUrl: database!.url, logFile, env: { BOOTSTRAP_ADMIN_KEY: '', ...env } });
      await api.stop();
      return null;
    } catch {
      return readFileSync(logFile, 'utf8');
    }
  };

  it('refuses a fresh install without one, naming the variable; starts with one, and then without it; refuses again once that key is revoked', async () => {
    if (!database) return;
    const refusal = await startWithoutKey();
    expect(refusal).toMatch(/BOOTSTRAP_ADMIN_KEY must be set: the database holds no usable admin key/);
    expect(refusal).not.toMatch(/"stack"/); // a refusal that names its cause, not a crash

    const adminKey = `bootstrap-admin-${randomBytes(16).toString('hex')}`;
    const withKey = await ApiProcess.start({ databaseUrl: database.url, adminKey });
    await withKey.stop();
    expect(await startWithoutKey()).toBeNull();

    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`UPDATE api_keys SET revoked_at = now(), revoked_by = 'test' WHERE name = 'bootstrap-admin'`);
    } finally {
      await client.end();
    }
    expect(await startWithoutKey()).toMatch(/BOOTSTRAP_ADMIN_KEY must be set/);
  });

  it('starts a fresh install without one when people sign in through an identity provider (their admins come from its claims)', async () => {
    if (!database) return;
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`UPDATE api_keys SET revoked_at = now(), revoked_by = 'test' WHERE revoked_at IS NULL`);
    } finally {
      await client.end();
    }
    // The issuer is read when a token arrives, so none needs to answer for the start.
    expect(await startWithoutKey({ OIDC_ISSUER: 'http://127.0.0.1:9/issuer', OIDC_AUDIENCE: 'control-plane' })).toBeNull();
  });
});
