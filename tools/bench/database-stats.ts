import { Pool } from 'pg';

/**
 * A mark on the database's transaction counter: every transaction that writes is given the next
 * transaction id, so the difference between two marks (less the second mark's own id) counts the
 * write transactions committed in between, by every process, exactly and at once. (The
 * statistics' xact_commit would count read-only ones too, but backends report it up to seconds
 * late, which a drain of a few seconds cannot wait for.)
 */
export async function writeTransactionMark(pool: Pool): Promise<bigint> {
  const { rows } = await pool.query<{ id: string }>(`SELECT pg_current_xact_id()::text AS id`);
  return BigInt(rows[0].id);
}

/** Write transactions committed since `before` (taken with writeTransactionMark). */
export async function writeTransactionsSince(pool: Pool, before: bigint): Promise<number> {
  return Number((await writeTransactionMark(pool)) - before - 1n);
}
