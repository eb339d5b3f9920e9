import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { RUN_AXIS, STEP_AXIS } from '@lib/execution';
import { APPROVAL_AXIS } from '@lib/approval';
import { GRANT_AXIS } from '@lib/grants';
import { openAppContext } from '../support/app-context';
import { openTestPool } from '../support/db';

/** The rules PostgreSQL enforces by itself, even against a writer that skips the application. */
describe('schema invariants', () => {
  let pool: Pool;
  beforeAll(async () => {
    pool = openTestPool();
    // Starting the application records the policy, so runs may reference its action types.
    await (await openAppContext()).close();
  });
  afterAll(async () => {
    await pool?.end();
  });

  /** Inserts a run and its approval in one transaction, as the application does. */
  async function insertRun(project = `p-${randomUUID()}`): Promise<{ runId: string; approvalId: string }> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const run = await client.query(
        `INSERT INTO execution_runs (project_id, idempotency_key, action, fingerprint, plan_hash, status, blocked_reason, requested_by)
         VALUES ($1, 'k', 'deploy', repeat('a', 64), repeat('a', 64), 'BLOCKED', 'approval_pending', 'someone') RETURNING id`,
        [project],
      );
      const approval = await client.query(
        `INSERT INTO approvals (execution_run_id, plan_hash, expires_at) VALUES ($1, repeat('a', 64), now() + interval '1 hour') RETURNING id`,
        [run.rows[0].id],
      );
      await client.query('COMMIT');
      return { runId: run.rows[0].id, approvalId: approval.rows[0].id };
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  it('the code FSM table and the database table list the same transitions', async () => {
    const { rows } = await pool.query(`SELECT axis, from_status, to_status FROM status_transitions`);
    const axes = [RUN_AXIS, STEP_AXIS, APPROVAL_AXIS, GRANT_AXIS] as Array<{
      name: string;
      transitions: ReadonlyArray<readonly [string, string]>;
    }>;
    const fromCode = axes
      .flatMap((axis) => axis.transitions.map(([from, to]) => ({ axis: axis.name, from_status: from, to_status: to })))
      .sort(byTransition);
    // Both sides sorted the same way here (a collation in the database could order them otherwise).
    expect([...rows].sort(byTransition)).toEqual(fromCode);
  });

  it('a new run must start BLOCKED / approval_pending', async () => {
    await expect(
      pool.query(`INSERT INTO execution_runs (project_id, idempotency_key, action, fingerprint, plan_hash, status, blocked_reason, requested_by)
                  VALUES ('p', 'k', 'deploy', repeat('a', 64), repeat('a', 64), 'RUN', NULL, 'x')`),
    ).rejects.toThrow(/must start BLOCKED/);
  });

  it('blocked_reason is set exactly when the status is BLOCKED', async () => {
    const { runId } = await insertRun();
    await expect(pool.query(`UPDATE execution_runs SET blocked_reason = NULL WHERE id = $1`, [runId])).rejects.toThrow(/blocked_reason/);
  });

  it('a run cannot reach RUN without an approved approval, nor make an illegal transition', async () => {
    const { runId, approvalId } = await insertRun();
    await expect(pool.query(`UPDATE execution_runs SET status = 'RUN', blocked_reason = NULL WHERE id = $1`, [runId])).rejects.toThrow(
      /without an approval of its current plan/,
    );
    await pool.query(`UPDATE approvals SET status = 'rejected', reason = 'no', decided_by = 'x', decided_at = now() WHERE id = $1`, [
      approvalId,
    ]);
    await pool.query(`UPDATE execution_runs SET status = 'REJECTED', blocked_reason = NULL WHERE id = $1`, [runId]);
    await expect(pool.query(`UPDATE execution_runs SET status = 'RUN' WHERE id = $1`, [runId])).rejects.toThrow(/illegal run transition/);
    await expect(pool.query(`UPDATE approvals SET status = 'approved' WHERE id = $1`, [approvalId])).rejects.toThrow(
      /illegal approval transition/,
    );
  });

  it('a rejection must carry a reason', async () => {
    const { approvalId } = await insertRun();
    await expect(
      pool.query(`UPDATE approvals SET status = 'rejected', decided_by = 'x', decided_at = now() WHERE id = $1`, [approvalId]),
    ).rejects.toThrow(/approvals_rejection_reason_chk/);
  });

  it('one open approval lane per run, and a run cannot commit without one', async () => {
    const { runId } = await insertRun();
    await expect(
      pool.query(
        `INSERT INTO approvals (execution_run_id, lane, plan_hash, expires_at) VALUES ($1, 2, repeat('a', 64), now() + interval '1 hour')`,
        [runId],
      ),
    ).rejects.toThrow(/approvals_(one_open_lane|one_pending_per_run)/);
    await expect(
      pool.query(
        `INSERT INTO execution_runs (project_id, idempotency_key, action, fingerprint, plan_hash, status, blocked_reason, requested_by)
                  VALUES ($1, 'k', 'deploy', repeat('a', 64), repeat('a', 64), 'BLOCKED', 'approval_pending', 'x')`,
        [`p-${randomUUID()}`],
      ),
    ).rejects.toThrow(/has no approval/);
  });

  it('(project_id, idempotency_key) is unique', async () => {
    const project = `p-${randomUUID()}`;
    await insertRun(project);
    await expect(insertRun(project)).rejects.toThrow(/execution_runs_project_key_uniq/);
  });

  it('audit events are append-only and outlive their run', async () => {
    const { runId } = await insertRun();
    await pool.query(
      `INSERT INTO audit_events (event_type, actor, execution_run_id, chain_key, prev_hash, hash)
       VALUES ('run.created', 'x', $1, $2, repeat('0', 64), repeat('1', 64))`,
      [runId, `run:${runId}`],
    );
    await expect(pool.query(`UPDATE audit_events SET actor = 'y' WHERE execution_run_id = $1`, [runId])).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM audit_events WHERE execution_run_id = $1`, [runId])).rejects.toThrow(/append-only/);
    await expect(pool.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    await pool.query(`DELETE FROM execution_runs WHERE id = $1`, [runId]);
    expect((await pool.query(`SELECT 1 FROM approvals WHERE execution_run_id = $1`, [runId])).rowCount).toBe(0);
    expect((await pool.query(`SELECT 1 FROM audit_events WHERE execution_run_id = $1`, [runId])).rowCount).toBe(1);
  });
});

type Transition = { axis: string; from_status: string; to_status: string };

function byTransition(a: Transition, b: Transition): number {
  const key = (t: Transition) => [t.axis, t.from_status, t.to_status];
  const [x, y] = [key(a), key(b)];
  for (let index = 0; index < 3; index++) if (x[index] !== y[index]) return x[index] < y[index] ? -1 : 1;
  return 0;
}
