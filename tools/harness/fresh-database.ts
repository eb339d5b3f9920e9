import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, ensureDatabase, freePort, runMigrations, startEmbeddedPostgres, withDatabase } from '@lib/database';
import { SCHEMA } from '@migrations';
import { CleanupStack } from './cleanup-stack';

/** A new database on a running server, named `<prefix>_<random>`, with every migration applied. */
export async function createMigratedDatabase(input: { serverUrl: string; prefix: string }): Promise<{ name: string; url: string }> {
  const name = `${input.prefix}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await ensureDatabase(input.serverUrl, name);
  const url = withDatabase(input.serverUrl, name);
  await runMigrations(url, SCHEMA);
  return { name, url };
}

/**
 * A throwaway embedded PostgreSQL (in this process: not for Jest's sandbox, whose global setup
 * may use it); the cleanup stack stops it and removes its data. Answers the server's URL.
 */
export async function startThrowawayPostgres(cleanup: CleanupStack): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-pg-'));
  cleanup.defer('remove the PostgreSQL data directory', async () => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
  // As root the data may live elsewhere (see startEmbeddedPostgres).
  if (server.dataDir !== dataDir) {
    cleanup.defer('remove the relocated data directory', async () => rmSync(server.dataDir, { recursive: true, force: true }));
  }
  cleanup.defer('stop the embedded PostgreSQL', () => server.stop());
  return server.serverUrl;
}

/**
 * A fresh, migrated database for one run of the suite or the bench: on the server `serverUrl`
 * names when given (the database is dropped afterwards), else on a throwaway embedded server.
 */
export async function openFreshDatabase(input: {
  serverUrl: string | undefined;
  prefix: string;
  cleanup: CleanupStack;
}): Promise<{ url: string; serverUrl: string; embedded: boolean }> {
  const external = input.serverUrl;
  const serverUrl = external ?? (await startThrowawayPostgres(input.cleanup));
  const { name, url } = await createMigratedDatabase({ serverUrl, prefix: input.prefix });
  // An embedded server is thrown away whole; only a database on someone else's server is dropped.
  if (external) input.cleanup.defer(`drop database ${name}`, () => dropDatabase(serverUrl, name));
  return { url, serverUrl, embedded: !external };
}
