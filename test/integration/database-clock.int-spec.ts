import { INestApplicationContext } from '@nestjs/common';
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { Principal, Role } from '@lib/identity';
import { ApprovalVoteService } from '@lib/approval';
import { ReaperService, RunLifecycleService, RunQueueService } from '@lib/execution';
import { RunRequestService } from '@lib/orchestration';
import { openAppContext } from '../support/app-context';
import { openTestPool } from '../support/db';
import { servicePrincipal } from '../support/principals';

const HOUR_MS = 3_600_000;

/**
 * Leases, deadlines and availability are compared with the database's now(), so they must be
 * set from it too: a worker host whose clock is an hour behind must not hand out leases that
 * have already run out, and a reaper on a host an hour ahead must not reap them.
 */
describe('times come from the database clock', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let requester: Principal;
  let approver: Principal;
  const ctx = (principal: Principal): CommandContext => principal.context(`req-${randomUUID()}`);
  const project = `clock-${randomUUID()}`;

  beforeAll(async () => {
    app = await openAppContext();
    pool = openTestPool();
    requester = await servicePrincipal(app, 'clock', [Role.Requester]);
    approver = await servicePrincipal(app, 'approver', [Role.Approver]);
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  afterAll(async () => {
    await pool?.end();
    await app?.close();
  });

  /** This process's Date runs `offsetMs` off the real time (timers stay real). */
  function skewClock(offsetMs: number): void {
    const real = performance.timeOrigin + performance.now();
    jest.useFakeTimers({
      now: real + offsetMs,
      advanceTimers: true,
      doNotFake: [
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'setImmediate',
        'clearImmediate',
        'nextTick',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
    // The skew is real: this process's clock is now off by the offset.
    expect(Math.abs(Date.now() - real - offsetMs)).toBeLessThan(5_000);
  }

  it('a worker an hour behind claims with a lease the database counts from its own now(), and a reaper an hour ahead leaves it alone', async () => {
    const { run } = await app
      .get(RunRequestService)
      .request(
        requester,
        { projectId: project, idempotencyKey: 'k', action: 'ops.sleep', params: { ms: 10 }, targets: [`t-${randomUUID()}`] },
        ctx(requester),
      );
    await app.get(ApprovalVoteService).vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver));

    skewClock(-HOUR_MS);
    const claim = await app
      .get(RunQueueService)
      .claim({ workerId: 'behind', leaseMs: 60_000, lockWaitMs: 10, projectPattern: project, limit: 1, timeoutCapSeconds: 120 });
    const [started] = claim.claimed;
    expect(started?.status).toBe('RUNNING');

    skewClock(+HOUR_MS);
    await app.get(ReaperService).reap({ limit: 50, graceMs: 0, backoffBaseMs: 10, reaperId: 'ahead' });
    jest.useRealTimers();

    const { rows } = await pool.query(
      `SELECT status, worker_id,
              extract(epoch FROM lease_expires_at - now()) AS lease_left_s,
              extract(epoch FROM deadline_at - now()) AS deadline_left_s
       FROM execution_runs WHERE id = $1`,
      [run.id],
    );
    expect(rows[0]).toMatchObject({ status: 'RUNNING', worker_id: 'behind' });
    expect(Number(rows[0].lease_left_s)).toBeGreaterThan(30);
    expect(Number(rows[0].lease_left_s)).toBeLessThanOrEqual(60);
    expect(Number(rows[0].deadline_left_s)).toBeGreaterThan(60);
    expect(Number(rows[0].deadline_left_s)).toBeLessThanOrEqual(120);
  });

  it('a retry is due after its backoff by the database clock, whatever the worker clock says', async () => {
    const { run } = await app
      .get(RunRequestService)
      .request(
        requester,
        { projectId: project, idempotencyKey: 'k2', action: 'ops.sleep', params: { ms: 10 }, targets: [`t-${randomUUID()}`] },
        ctx(requester),
      );
    await app.get(ApprovalVoteService).vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver));
    const claim = await app
      .get(RunQueueService)
      .claim({ workerId: 'ahead', leaseMs: 60_000, lockWaitMs: 10, projectPattern: project, limit: 1 });
    const [started] = claim.claimed;
    if (!started) throw new Error('could not claim');
    const lifecycle = app.get(RunLifecycleService);
    const system = { actor: SYSTEM_ACTOR, requestId: 'clock' };
    skewClock(+HOUR_MS);
    await lifecycle.end(
      started,
      { workerId: 'ahead', from: 'RUNNING' as never, ending: { kind: 'retry', error: 'flaky' }, backoffBaseMs: 1000 },
      system,
    );
    jest.useRealTimers();
    const { rows } = await pool.query(
      `SELECT status, extract(epoch FROM available_at - now()) AS due_in_s FROM execution_runs WHERE id = $1`,
      [run.id],
    );
    expect(rows[0].status).toBe('RUN');
    // Backoff of attempt 1 with base 1 s: 0.5..1.5 s after the database's now(), not an hour away.
    expect(Number(rows[0].due_in_s)).toBeLessThan(2);
  });
});
