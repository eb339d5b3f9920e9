import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SCHEMA } from '@migrations';
import { writeTestPolicy } from './test-policy';
import { dropDatabase, ensureDatabase, freePort, runMigrations, startEmbeddedPostgres, withDatabase } from '@lib/database';

/**
 * One fresh database per test run: on an embedded PostgreSQL unless DATABASE_URL names a
 * server. Against a running API (API_URL), the tests use the database that server uses.
 * Jest lets globals set in the global setup be read by the global teardown, and nothing else.
 */
interface RunState {
  /** The database tiers (integration, e2e) each run this setup; the last teardown drops. */
  users: number;
  serverUrl: string;
  dataDir?: string;
  database?: string;
  stopEmbedded?: () => Promise<void>;
  policyDir?: string;
}

const STATE = Symbol.for('control-plane.test-database');
type WithState = typeof globalThis & { [STATE]?: RunState };

export async function setUpTestDatabase(): Promise<void> {
  const existing = (globalThis as WithState)[STATE];
  if (existing) {
    existing.users++;
    return;
  }
  const state: RunState = { users: 1, serverUrl: process.env.DATABASE_URL ?? '' };
  (globalThis as WithState)[STATE] = state;
  if (!process.env.DATABASE_URL) {
    state.dataDir = mkdtempSync(join(tmpdir(), 'control-plane-pg-'));
    const server = await startEmbeddedPostgres({ dataDir: state.dataDir, port: await freePort(), persistent: false });
    state.stopEmbedded = server.stop;
    state.dataDir = server.dataDir;
    state.serverUrl = server.serverUrl;
  }
  if (process.env.API_URL) {
    process.env.DATABASE_URL = state.serverUrl;
  } else {
    state.database = `cp_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
    await ensureDatabase(state.serverUrl, state.database);
    const url = withDatabase(state.serverUrl, state.database);
    await runMigrations(url, SCHEMA);
    process.env.DATABASE_URL = url;
  }
  if (!process.env.POLICY_FILE) {
    // A server named by API_URL must be started with the same file (POLICY_FILE) for the fixture actions.
    state.policyDir = mkdtempSync(join(tmpdir(), 'control-plane-policy-'));
    process.env.POLICY_FILE = writeTestPolicy(state.policyDir);
  }
  process.env.BOOTSTRAP_ADMIN_KEY ??= `test-admin-${randomBytes(16).toString('hex')}`;
  process.env.LOG_LEVEL ??= 'silent';
  // The suite's webhook receivers listen on loopback, on ports the system picks.
  process.env.WEBHOOK_ALLOWED_URLS ??= 'http://127.0.0.1:*/';
}

export async function tearDownTestDatabase(): Promise<void> {
  const state = (globalThis as WithState)[STATE];
  if (!state || --state.users > 0) return;
  delete (globalThis as WithState)[STATE];
  try {
    if (state.database) await dropDatabase(state.serverUrl, state.database);
  } finally {
    if (state.stopEmbedded) await state.stopEmbedded();
    if (state.dataDir) rmSync(state.dataDir, { recursive: true, force: true });
    if (state.policyDir) rmSync(state.policyDir, { recursive: true, force: true });
  }
}
