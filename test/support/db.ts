import { Pool } from 'pg';

/** Direct SQL for assertions about what was (or was not) written. */
export function openTestPool(): Pool {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (the global setup sets it)');
  return new Pool({ connectionString: url, max: 4 });
}
