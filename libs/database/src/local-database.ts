import { AppConfig, ConfigError } from '@lib/config';
import { Client } from 'pg';
import { embeddedServerUrl, startEmbeddedPostgres } from './embedded-postgres';
import { ensureDatabase, withDatabase } from './migration-runner';

/** The database `npm start` keeps on its embedded server. */
export const LOCAL_DATABASE = 'control_plane';

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

/**
 * DATABASE_URL when it is set; otherwise the database of the embedded server `npm start` is
 * running (a command-line tool beside it, such as `npm run audit:verify`). Refuses, saying why,
 * when neither is there.
 */
export async function databaseOfRunningService(config: AppConfig): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  const { port } = config.values.embedded;
  const url = withDatabase(embeddedServerUrl(port), LOCAL_DATABASE);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === undefined) {
      throw new ConfigError(
        `DATABASE_URL is unset and no embedded server answers on port ${port}: start the service (npm start), or set DATABASE_URL`,
      );
    }
    // Something answers there, but it is not npm start's database (or refuses it): say what it said.
    const said = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`DATABASE_URL is unset and the server on port ${port} refused npm start's database: ${said}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return url;
}

/**
 * Whether `url` is the database `npm start` keeps on its embedded server (the development loop
 * starts that server and hands the API its URL): a local install, administered by whoever runs it.
 */
export function isLocalDatabase(config: AppConfig, url: string): boolean {
  return url === withDatabase(embeddedServerUrl(config.values.embedded.port), LOCAL_DATABASE);
}
