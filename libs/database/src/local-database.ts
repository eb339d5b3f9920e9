import { AppConfig } from '@lib/config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { ensureDatabase, withDatabase } from './migration-runner';

export interface LocalDatabase {
  readonly url: string;
  /** Whether this process started the server (and so must stop it). */
  readonly embedded: boolean;
  /** The embedded server's data directory. */
  readonly dataDir?: string;
  stop(): Promise<void>;
}

/**
 * DATABASE_URL when it is set (and nothing is started); otherwise an embedded PostgreSQL with
 * its data kept in EMBEDDED_PG_DATA_DIR, reused on the next start.
 */
export async function resolveDatabase(
  config: AppConfig,
  options: { database: string; onLog?: (line: string) => void; onNotice?: (line: string) => void },
): Promise<LocalDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  const { dataDir, port } = config.values.embedded;
  const server = await startEmbeddedPostgres({ dataDir, port, persistent: true, onLog: options.onLog, onNotice: options.onNotice });
  try {
    await ensureDatabase(server.serverUrl, options.database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: withDatabase(server.serverUrl, options.database), embedded: true, dataDir: server.dataDir, stop: () => server.stop() };
}
