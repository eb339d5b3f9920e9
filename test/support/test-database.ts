import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CleanupStack, openFreshDatabase, startThrowawayPostgres } from '@tools/harness';
import { writeTestPolicy } from './test-policy';

/**
 * One fresh database per test run: on an embedded PostgreSQL unless DATABASE_URL names a
 * server. Against a running API (API_URL), the tests use the database that server uses.
 * Jest lets globals set in the global setup be read by the global teardown, and nothing else.
 */
interface RunState {
  /** The database tiers (integration, e2e) each run this setup; the last teardown drops. */
  users: number;
  cleanup: CleanupStack;
}

const STATE = Symbol.for('control-plane.test-database');
type WithState = typeof globalThis & { [STATE]?: RunState };

export async function setUpTestDatabase(): Promise<void> {
  const existing = (globalThis as WithState)[STATE];
  if (existing) {
    existing.users++;
    return;
  }
  const cleanup = new CleanupStack();
  (globalThis as WithState)[STATE] = { users: 1, cleanup };
  const serverUrl = process.env.DATABASE_URL || undefined;
  if (process.env.API_URL) {
    process.env.DATABASE_URL = serverUrl ?? (await startThrowawayPostgres(cleanup));
  } else {
    process.env.DATABASE_URL = (await openFreshDatabase({ serverUrl, prefix: 'cp_test', cleanup })).url;
  }
  if (!process.env.POLICY_FILE) {
    // A server named by API_URL must be started with the same file (POLICY_FILE) for the fixture actions.
    const policyDir = mkdtempSync(join(tmpdir(), 'control-plane-policy-'));
    cleanup.defer('remove the test policy', async () => rmSync(policyDir, { recursive: true, force: true }));
    process.env.POLICY_FILE = writeTestPolicy(policyDir);
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
  const failures: string[] = [];
  await state.cleanup.runAll((message) => failures.push(message));
  if (failures.length > 0) throw new Error(failures.join('\n'));
}
