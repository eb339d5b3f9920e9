import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, ensureDatabase, freePort, runMigrations, startEmbeddedPostgres, withDatabase } from '@lib/database';
import { SCHEMA } from '@migrations';
import { CleanupStack } from './cleanup-stack';

/**
 * A fresh, migrated database for one bench run: on the server named by DATABASE_URL when it is
 * set (the database is dropped afterwards), else on a throwaway embedded PostgreSQL.
 */
export async function openBenchDatabase(env: NodeJS.ProcessEnv, cleanup: CleanupStack): Promise<{ url: string; embedded: boolean }> {
  const external = env.DATABASE_URL;
  const serverUrl = external ? external : await startThrowawayServer(cleanup);
  const name = `cp_bench_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(serverUrl, name);
  // An embedded server is thrown away whole; only a database on someone else's server is dropped.
  if (external) cleanup.defer(`drop database ${name}`, () => dropDatabase(serverUrl, name));
  const url = withDatabase(serverUrl, name);
  await runMigrations(url, SCHEMA);
  return { url, embedded: !external };
}

async function startThrowawayServer(cleanup: CleanupStack): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-bench-pg-'));
  cleanup.defer('remove the PostgreSQL data directory', async () => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
  cleanup.defer('stop the embedded PostgreSQL', () => server.stop());
  return server.serverUrl;
}
