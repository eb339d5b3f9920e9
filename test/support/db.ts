import { Pool } from 'pg';

/** Direct SQL for assertions about what was (or was not) written. */
export function openTestPool(): Pool {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (the global setup sets it)');
  return new Pool({ connectionString: url, max: 4 });
}

/**
 * Runs statements as the database owner with triggers off for this one session
 * (session_replication_role = replica): how the tests make time pass (an expiry in the past)
 * or tamper with the audit trail. Other sessions keep every trigger.
 */
export async function asOwnerWithoutTriggers(pool: Pool, statements: Array<[string, unknown[]]>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SET session_replication_role = replica');
    for (const [sql, values] of statements) await client.query(sql, values);
  } finally {
    await client.query('RESET session_replication_role').catch(() => undefined);
    client.release();
  }
}

/** Moves a run's open approval lane past its expiry. */
export function expireLaneNow(pool: Pool, executionId: string): Promise<void> {
  return asOwnerWithoutTriggers(pool, [
    [
      `UPDATE approvals SET expires_at = created_at + interval '1 millisecond' WHERE execution_run_id = $1 AND status IN ('pending', 'approved')`,
      [executionId],
    ],
  ]);
}
