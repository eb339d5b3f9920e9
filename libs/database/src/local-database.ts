import { startEmbeddedPostgres } from './embedded-postgres';
import { ensureDatabase, withDatabase } from './migration-runner';

export interface LocalDatabase {
  readonly url: string;
  /** Whether this process started the server (and so must stop it). */
  readonly embedded: boolean;
  stop(): Promise<void>;
}

export interface LocalDatabaseOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly database: string;
  readonly onLog?: (line: string) => void;
}

/**
 * DATABASE_URL when it is set (and nothing is started); otherwise an embedded PostgreSQL with
 * its data kept in `dataDir`, reused on the next start.
 */
export async function resolveDatabase(env: NodeJS.ProcessEnv, options: LocalDatabaseOptions): Promise<LocalDatabase> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, stop: async () => undefined };
  const server = await startEmbeddedPostgres({ dataDir: options.dataDir, port: options.port, persistent: true, onLog: options.onLog });
  try {
    await ensureDatabase(server.serverUrl, options.database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: withDatabase(server.serverUrl, options.database), embedded: true, stop: () => server.stop() };
}
