import { Pool } from 'pg';
import { pause } from './progress';

/** Statuses in which a run is still owed work by a worker (approved, not ended). */
const IN_FLIGHT = `'RUN', 'CLAIMED', 'RUNNING'`;

/**
 * Waits, at most `timeoutMs`, until no run of the campaign's projects is approved and not yet
 * ended. Answers how many still were when it stopped waiting.
 */
export async function waitUntilSettled(pool: Pool, projectPattern: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ in_flight: number }>(
      `SELECT count(*)::int AS in_flight FROM execution_runs WHERE project_id LIKE $1 AND status IN (${IN_FLIGHT})`,
      [projectPattern],
    );
    if (rows[0].in_flight === 0 || Date.now() > deadline) return rows[0].in_flight;
    await pause(250);
  }
}
