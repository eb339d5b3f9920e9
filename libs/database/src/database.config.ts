/** Connection settings read once from the environment. */
export interface DatabaseConfig {
  readonly url: string;
  readonly poolSize: number;
}

export function readDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL;
  if (!url) {
    throw new Error('DATABASE_URL is not set: start the embedded PostgreSQL first or point it at a server');
  }
  return { url, poolSize: positiveInt(env.DB_POOL_SIZE, 10) };
}

function positiveInt(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`expected a positive integer, got "${raw}"`);
  return value;
}
