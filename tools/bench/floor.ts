import { Pool } from 'pg';
import { createRunStatements, FloorPlan } from './floor-create-path';
import { LatencyRecorder } from './latency-recorder';

/*
 * The floor: the API's create transaction sent straight through `pg`, with no HTTP, no
 * framework and no ORM. What the API reaches as a share of this is what its layers cost.
 */

export interface FloorResult {
  readonly tps: number;
  /** Per committed transaction, pool wait included: the latency the API could at best add to. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly committed: number;
  readonly failed: number;
  readonly firstError: string | null;
}

interface Tally {
  committed: number;
  failed: number;
  firstError: string | null;
  readonly latencies: LatencyRecorder;
}

/** `concurrency` loops, each committing create transactions back to back until the time is up. */
export async function measureFloor(input: {
  url: string;
  concurrency: number;
  durationS: number;
  plan: FloorPlan;
  keyPrefix: string;
}): Promise<FloorResult> {
  const pool = new Pool({ connectionString: input.url, max: input.concurrency, application_name: 'cp-bench-floor' });
  try {
    await openAllConnections(pool, input.concurrency);
    const tally: Tally = { committed: 0, failed: 0, firstError: null, latencies: new LatencyRecorder() };
    let sequence = 0;
    const startedAt = performance.now();
    const deadline = startedAt + input.durationS * 1000;
    const loops = Array.from({ length: input.concurrency }, async () => {
      while (performance.now() < deadline)
        await countOutcome(tally, () => createTransaction(pool, input.plan, `${input.keyPrefix}-${sequence++}`));
    });
    await Promise.all(loops);
    const elapsedS = (performance.now() - startedAt) / 1000;
    const { 50: p50Ms, 95: p95Ms, 99: p99Ms } = tally.latencies.percentiles([50, 95, 99] as const);
    return {
      tps: tally.committed / elapsedS,
      p50Ms,
      p95Ms,
      p99Ms,
      committed: tally.committed,
      failed: tally.failed,
      firstError: tally.firstError,
    };
  } finally {
    await pool.end();
  }
}

/** The API's pool is warm by the time it is measured; the floor's is made so too. */
async function openAllConnections(pool: Pool, count: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  await Promise.all(clients.map((client) => client.query('SELECT 1')));
  for (const client of clients) client.release();
}

async function countOutcome(tally: Tally, work: () => Promise<void>): Promise<void> {
  const startedAt = performance.now();
  try {
    await work();
    tally.latencies.record(performance.now() - startedAt);
    tally.committed++;
  } catch (error) {
    tally.failed++;
    tally.firstError ??= error instanceof Error ? error.message : String(error);
  }
}

/** Connect, begin, work, commit; roll back on error; release always — as the API's unit of work does. */
async function createTransaction(pool: Pool, plan: FloorPlan, idempotencyKey: string): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await createRunStatements(client, plan, idempotencyKey);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    // A connection that could not even roll back is discarded rather than reused.
    client.release(broken);
  }
}
