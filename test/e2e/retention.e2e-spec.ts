import { randomBytes, randomUUID } from 'node:crypto';
import { useTestApi } from '../support/api-client';
import { waitForRun } from '../support/run-events';
import type { WorkerProcess } from '@tools/harness';
import { testWorker } from '../support/worker-process';

type Key = { id: string; key: string };

/** What hangs off a run, table by table (audit events are counted apart: they stay). */
const DEPENDENTS = ['approvals', 'approval_decisions', 'governance_grants', 'execution_steps', 'execution_locks', 'execution_dlq'];

/**
 * The Phase-1 cascade and retention: deleting a run deletes its approvals and everything that
 * hangs off them, its audit trail stays; an admin purges old ended runs, audited.
 */
describe('run retention', () => {
  const { api, pool } = useTestApi();
  const prefix = `retain${randomBytes(3).toString('hex')}`;
  let requester: Key;
  let approvers: Key[];
  let worker: WorkerProcess;

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approvers = [await api.mintKey({ roles: ['approver'] }), await api.mintKey({ roles: ['approver'] })];
    worker = testWorker({ id: `${prefix}-w`, projects: `${prefix}-%` });
    await worker.ready();
  });
  afterAll(async () => {
    await worker?.stop();
  });

  const project = () => `${prefix}-${randomUUID().slice(0, 8)}`;
  const statusOf = async (id: string): Promise<string | undefined> =>
    (await pool.query(`SELECT status FROM execution_runs WHERE id = $1`, [id])).rows[0]?.status;
  const statusIs = (id: string, status: string) =>
    waitForRun({ runId: id, probe: async () => (await statusOf(id)) === status, what: `run ${id} to be ${status}` });
  const create = async (projectId: string, body: Record<string, unknown>): Promise<string> => {
    const created = await api.createRun(requester.key, { project_id: projectId, idempotency_key: randomUUID(), ...body });
    expect([200, 201]).toContain(created.status);
    return created.body.execution_id;
  };
  const succeeded = async (projectId: string): Promise<string> => {
    const id = await create(projectId, { action: 'inventory.read', targets: ['inv'] });
    await statusIs(id, 'SUCCEEDED');
    return id;
  };
  const dependents = async (id: string): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const table of DEPENDENTS) {
      counts[table] = Number((await pool.query(`SELECT count(*) FROM ${table} WHERE execution_run_id = $1`, [id])).rows[0].count);
    }
    return counts;
  };
  const auditCount = async (id: string): Promise<number> =>
    Number((await pool.query(`SELECT count(*) FROM audit_events WHERE execution_run_id = $1`, [id])).rows[0].count);
  const purge = (key: string, body: Record<string, unknown>) =>
    api.http.post('/api/v1/execution/retention/purge').set('Authorization', `Bearer ${key}`).send(body);

  it('purges the ended runs of a project with everything that hangs off them; waiting and running runs stay; the trail stays and says so', async () => {
    const p = project();
    const done = await succeeded(p);
    // Approved by a vote and carried out by the worker; a grant hangs off it too (a fixture on a
    // target of its own: seed 004's one real target is shared with the grants suite).
    const granted = await create(p, { action: 'ops.sleep', params: { ms: 1 }, targets: ['svc-1'] });
    expect((await api.decide(approvers[1].key, granted, 'approve')).status).toBe(200);
    await statusIs(granted, 'SUCCEEDED');
    await pool.query(
      `INSERT INTO governance_grants (auth_code, execution_run_id, approval_id, project_id, status, scope, approval_ref, evidence,
                                      rollback_plan_ref, commit_allowed, ttl_seconds, granted_by, granted_at, expires_at)
       SELECT 'GBA-' || r.id, r.id, a.id, r.project_id, 'active', jsonb_build_object('namespace', 'DRYRUN-NS', 'target', 'retention-' || r.id),
              jsonb_build_object('approval_id', a.id, 'quorum', 1, 'plan_hash', a.plan_hash, 'policy_hash', r.policy_hash), '{}'::jsonb, 'rollback', false, 60, 'system', now(), now() + interval '60 seconds'
       FROM execution_runs r JOIN approvals a ON a.execution_run_id = r.id WHERE r.id = $1`,
      [granted],
    );
    const rejected = await create(p, { action: 'service.restart', targets: ['svc-a'] });
    expect((await api.decide(approvers[0].key, rejected, 'reject', { reason: 'not now' })).status).toBe(200);
    const waiting = await create(p, { action: 'service.restart', targets: ['svc-2'] });
    const running = await create(p, { action: 'ops.sleep', params: { ms: 30_000 }, targets: ['long'] });
    expect((await api.decide(approvers[0].key, running, 'approve')).status).toBe(200);
    await statusIs(running, 'RUNNING');

    expect(await dependents(done)).toMatchObject({ approvals: 1, execution_steps: 1 });
    expect(await dependents(granted)).toMatchObject({ approvals: 1, approval_decisions: 1, governance_grants: 1, execution_steps: 1 });
    expect(await dependents(rejected)).toMatchObject({ approvals: 1, approval_decisions: 1 });
    const trails = { done: await auditCount(done), granted: await auditCount(granted), rejected: await auditCount(rejected) };

    // Nothing is old enough yet: nothing goes.
    const none = await purge(api.adminKey, { older_than_seconds: 3600, project_id: p, reason: 'retention: 1 hour' });
    expect([none.status, none.body]).toEqual([200, { purged: 0, runs: [], more: false }]);

    const answer = await purge(api.adminKey, { older_than_seconds: 0, project_id: p, reason: 'retention: test' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ purged: 3, more: false });
    expect(answer.body.runs.map((run: { execution_id: string }) => run.execution_id).sort()).toEqual([done, granted, rejected].sort());
    expect(answer.body.runs.find((run: { execution_id: string }) => run.execution_id === rejected)).toMatchObject({ status: 'REJECTED' });

    for (const id of [done, granted, rejected]) {
      expect(await statusOf(id)).toBeUndefined();
      expect(Object.values(await dependents(id)).every((count) => count === 0)).toBe(true);
      expect((await api.get(api.adminKey, `/api/v1/execution/run/${id}`)).status).toBe(404);
      const verify = await api.get(api.adminKey, `/api/v1/audit/verify?execution_id=${id}`);
      expect(verify.body).toMatchObject({ ok: true, first_broken_link: null });
    }
    expect(await auditCount(done)).toBe(trails.done + 1);
    expect(await auditCount(granted)).toBe(trails.granted + 1);
    const { rows } = await pool.query(`SELECT actor, data FROM audit_events WHERE execution_run_id = $1 AND event_type = 'run.purged'`, [
      rejected,
    ]);
    expect(rows).toEqual([
      {
        actor: expect.any(String),
        data: { status: 'REJECTED', ended_at: expect.any(String), older_than_seconds: 0, reason: 'retention: test' },
      },
    ]);
    expect(await statusOf(waiting)).toBe('BLOCKED');
    expect(await statusOf(running)).toBe('RUNNING');
    expect(await dependents(waiting)).toMatchObject({ approvals: 1 });

    // A run a worker holds cannot be deleted, even by hand; cancelled, it is purged like the rest.
    await expect(pool.query(`DELETE FROM execution_runs WHERE id = $1`, [running])).rejects.toThrow(/held by a worker/);
    expect(
      (
        await api.http
          .post(`/api/v1/execution/run/${running}/cancel`)
          .set('Authorization', `Bearer ${api.adminKey}`)
          .send({ reason: 'end' })
      ).status,
    ).toBeLessThan(300);
    await statusIs(running, 'CANCELLED');
    expect((await purge(api.adminKey, { older_than_seconds: 0, project_id: p, reason: 'again' })).body).toMatchObject({ purged: 1 });
    expect(await statusOf(running)).toBeUndefined();
  });

  it('the Phase-1 cascade: deleting a run by hand deletes its approvals and votes; votes, grants and steps cannot be deleted alone', async () => {
    const p = project();
    const waiting = await create(p, { action: 'deploy.production', params: { image: 'x' }, targets: ['prod-web-1'] });
    expect((await api.decide(approvers[0].key, waiting, 'approve')).status).toBe(200);
    const done = await succeeded(p);
    await expect(pool.query(`DELETE FROM approval_decisions WHERE execution_run_id = $1`, [waiting])).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM execution_steps WHERE execution_run_id = $1`, [done])).rejects.toThrow(/never deleted/);
    const trail = await auditCount(waiting);

    expect((await pool.query(`DELETE FROM execution_runs WHERE id = $1`, [waiting])).rowCount).toBe(1);
    expect(await dependents(waiting)).toEqual(Object.fromEntries(DEPENDENTS.map((table) => [table, 0])));
    expect(await auditCount(waiting)).toBe(trail);
    expect(await dependents(done)).toMatchObject({ approvals: 1, execution_steps: 1 });
  });

  it('is for admins, within their projects: a requester is refused, a scoped admin purges only its own projects', async () => {
    const mine = project();
    const theirs = project();
    const [ownRun, otherRun] = [await succeeded(mine), await succeeded(theirs)];
    const scopedAdmin = await api.mintKey({ roles: ['admin'], projectIds: [mine] });

    const refused = await purge(requester.key, { older_than_seconds: 0, reason: 'x' });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    const elsewhere = await purge(scopedAdmin.key, { older_than_seconds: 0, project_id: theirs, reason: 'x' });
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([403, 'forbidden']);
    expect(await statusOf(otherRun)).toBe('SUCCEEDED');

    const own = await purge(scopedAdmin.key, { older_than_seconds: 0, reason: 'scoped' });
    expect(own.status).toBe(200);
    expect(own.body.runs.map((run: { project_id: string }) => run.project_id)).toEqual([mine]);
    expect(await statusOf(ownRun)).toBeUndefined();
    expect(await statusOf(otherRun)).toBe('SUCCEEDED');
  });

  it('refuses bad input with a 400 and deletes nothing', async () => {
    const p = project();
    const id = await succeeded(p);
    const bodies: Array<Record<string, unknown>> = [
      {},
      { older_than_seconds: 0 },
      { older_than_seconds: -1, reason: 'x' },
      { older_than_seconds: 1.5, reason: 'x' },
      { older_than_seconds: '0', reason: 'x' },
      { older_than_seconds: 1e20, reason: 'x' },
      { older_than_seconds: 0, reason: 'x', limit: 0 },
      { older_than_seconds: 0, reason: 'x', limit: 1001 },
      { older_than_seconds: 0, reason: '   ' },
      { older_than_seconds: 0, reason: 'x\u0000' },
      { older_than_seconds: 0, reason: 'x', project_id: `${p}\ud800` },
      { older_than_seconds: 0, reason: 'x', project_id: p, dry_run: true },
    ];
    for (const body of bodies) {
      const answer = await purge(api.adminKey, body);
      expect([JSON.stringify(body), answer.status]).toEqual([JSON.stringify(body), 400]);
      expect(answer.body.error.code).toEqual(expect.any(String));
    }
    expect(await statusOf(id)).toBe('SUCCEEDED');
  });

  it('two purges racing share the runs: each run is deleted and audited once', async () => {
    const p = project();
    const ids = [];
    for (let index = 0; index < 6; index++) ids.push(await succeeded(p));
    const answers = await Promise.all(
      [0, 1, 2].map(() => purge(api.adminKey, { older_than_seconds: 0, project_id: p, limit: 4, reason: 'race' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    const purged = answers.flatMap((answer) => answer.body.runs.map((run: { execution_id: string }) => run.execution_id));
    expect(purged.sort()).toEqual([...ids].sort());
    const events = await pool.query(`SELECT execution_run_id FROM audit_events WHERE event_type = 'run.purged' AND project_id = $1`, [p]);
    expect(events.rows.map((row) => row.execution_run_id).sort()).toEqual([...ids].sort());
  });
});
