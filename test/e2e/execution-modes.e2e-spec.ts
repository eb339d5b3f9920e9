import { randomBytes, randomUUID } from 'node:crypto';
import { useTestApi } from '../support/api-client';
import { waitForRun } from '../support/run-events';
import type { WorkerProcess } from '@tools/harness';
import { testWorker } from '../support/worker-process';

type Key = { id: string; key: string };

/**
 * Execution modes (seed 002's dark launch and gradual enablement), switched through the API
 * while an API and a worker run. The spec switches only the fixture actions (test/support/
 * test-policy.ts): a mode holds for every project, and other specs share the database. A level's
 * switch is tried inside a transaction that is rolled back, for the same reason.
 */
describe('execution modes', () => {
  const { api, pool } = useTestApi();
  const prefix = `modes${randomBytes(3).toString('hex')}`;
  let requester: Key;
  let approver: Key;
  let worker: WorkerProcess;

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
    worker = testWorker({ id: `${prefix}-w`, projects: `${prefix}-%` });
    await worker.ready();
  });
  afterAll(async () => {
    await worker?.stop();
  });

  const project = () => `${prefix}-${randomUUID().slice(0, 8)}`;
  const put = (key: string, path: string, body: unknown) =>
    api.http
      .put(`/api/v1/governance/execution-modes/${path}`)
      .set('Authorization', `Bearer ${key}`)
      .send(body as object);
  const setMode = async (action: string, mode: string) => {
    const answer = await put(api.adminKey, `actions/${action}`, { mode, reason: `spec: ${mode}` });
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const statusOf = async (id: string): Promise<string | undefined> =>
    (await pool.query(`SELECT status FROM execution_runs WHERE id = $1`, [id])).rows[0]?.status;
  const statusIs = (id: string, status: string) =>
    waitForRun({ runId: id, probe: async () => (await statusOf(id)) === status, what: `run ${id} to be ${status}` });
  const create = (projectId: string, action: string, key = randomUUID(), params: Record<string, unknown> = {}) =>
    api.createRun(requester.key, { project_id: projectId, idempotency_key: key, action, params, targets: ['t-1'] });

  it('disabled: a new run is refused with 422 action_disabled and audited; a repeated key is still its dedup hit; an approved run waits until enabled', async () => {
    const p = project();
    const [beforeKey, afterKey] = [randomUUID(), randomUUID()];
    const before = await create(p, 'fixture.disabled', beforeKey);
    expect(before.status).toBe(201);
    await setMode('fixture.disabled', 'disabled');
    try {
      const refused = await create(p, 'fixture.disabled', afterKey);
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('action_disabled');
      expect(refused.body.error.details).toEqual({ action: 'fixture.disabled', approval_level: 0 });
      const created = await pool.query(`SELECT count(*)::int AS n FROM execution_runs WHERE project_id = $1`, [p]);
      expect(created.rows[0].n).toBe(1);
      const audited = await pool.query(`SELECT data FROM audit_events WHERE project_id = $1 AND event_type = 'run.refused_by_policy'`, [p]);
      expect(audited.rows.map((row) => [row.data.code, row.data.idempotency_key])).toEqual([['action_disabled', afterKey]]);

      const repeated = await create(p, 'fixture.disabled', beforeKey);
      expect(repeated.status).toBe(200);
      expect(repeated.body.execution_id).toBe(before.body.execution_id);
    } finally {
      await setMode('fixture.disabled', 'enabled');
    }
    await statusIs(before.body.execution_id, 'SUCCEEDED');
    expect((await create(p, 'fixture.disabled')).status).toBe(201);
  });

  it('a run approved while disabled is not started until the action is enabled again', async () => {
    const p = project();
    const created = await create(p, 'fixture.record_only', randomUUID(), { ms: 1 });
    expect(created.status).toBe(201);
    const id: string = created.body.execution_id;
    await setMode('fixture.record_only', 'disabled');
    try {
      expect((await api.decide(approver.key, id, 'approve')).status).toBe(200);
      // The worker meets it at the head of its queue and leaves it there, postponed (no audit event: polled).
      const deadline = Date.now() + 10_000;
      const postponed = async () =>
        (await pool.query(`SELECT available_at > now() + interval '1 second' AS later FROM execution_runs WHERE id = $1`, [id])).rows[0]
          .later;
      while (!(await postponed()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await postponed()).toBe(true);
      expect(await statusOf(id)).toBe('RUN');
      const steps = await pool.query(`SELECT count(*)::int AS n FROM execution_steps WHERE execution_run_id = $1`, [id]);
      expect(steps.rows[0].n).toBe(0);
    } finally {
      await setMode('fixture.record_only', 'enabled');
    }
    await statusIs(id, 'SUCCEEDED');
  });

  it('record_only: the run is created, approved and audited; its handler does not run; it ends RECORDED', async () => {
    const p = project();
    await setMode('fixture.record_only', 'record_only');
    let id: string;
    try {
      const created = await create(p, 'fixture.record_only', randomUUID(), { ms: 1 });
      expect(created.status).toBe(201);
      id = created.body.execution_id;
      expect((await api.decide(approver.key, id, 'approve')).status).toBe(200);
      await statusIs(id, 'RECORDED');
    } finally {
      await setMode('fixture.record_only', 'enabled');
    }
    const run = await api.get(requester.key, `/api/v1/execution/run/${id}`);
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('RECORDED');
    expect(run.body.approval.status).toBe('approved');
    const steps = await pool.query(`SELECT count(*)::int AS n FROM execution_steps WHERE execution_run_id = $1`, [id]);
    expect(steps.rows[0].n).toBe(0);
    const trail = await pool.query(`SELECT event_type, data FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [id]);
    const types = trail.rows.map((row) => row.event_type);
    expect(types).toEqual(expect.arrayContaining(['run.created', 'approval.requested', 'approval.approved']));
    expect(types).not.toContain('step.started');
    expect(trail.rows.at(-1)).toMatchObject({
      event_type: 'run.status_changed',
      data: { from: 'RUN', to: 'RECORDED', execution_mode: 'record_only' },
    });

    // Enabled again: the next run of the action is carried out.
    const next = await create(p, 'fixture.record_only', randomUUID(), { ms: 1 });
    expect((await api.decide(approver.key, next.body.execution_id, 'approve')).status).toBe(200);
    await statusIs(next.body.execution_id, 'SUCCEEDED');
  });

  it('anyone with policy access reads the modes; only an admin scoped to every project switches one', async () => {
    const scopedAdmin = await api.mintKey({ roles: ['admin'], projectIds: [project()] });
    const monitor = await api.mintKey({ roles: ['monitor'] });
    expect((await put(requester.key, 'actions/fixture.disabled', { mode: 'disabled', reason: 'no' })).status).toBe(403);
    const scoped = await put(scopedAdmin.key, 'actions/fixture.disabled', { mode: 'disabled', reason: 'no' });
    expect(scoped.status).toBe(403);
    expect(scoped.body.error.code).toBe('forbidden');
    expect((await api.get(monitor.key, '/api/v1/governance/execution-modes')).status).toBe(403);

    const listed = await api.get(approver.key, '/api/v1/governance/execution-modes');
    expect(listed.status).toBe(200);
    const fixture = listed.body.action_types.find((entry: { action: string }) => entry.action === 'fixture.disabled');
    expect(fixture).toEqual({ action: 'fixture.disabled', approval_level: 0, effective_mode: 'enabled' });
    const code = await pool.query(`SELECT mode FROM execution_modes WHERE kind = 'action' AND key = 'fixture.disabled'`);
    expect(code.rows.map((row) => row.mode)).not.toContain('disabled');
  });

  it('refuses out-of-range levels, malformed codes and bad bodies with 400, changing nothing', async () => {
    const versions = async () =>
      (await pool.query(`SELECT kind, key, version FROM execution_modes ORDER BY kind, key`)).rows.map(
        (row) => `${row.kind}:${row.key}:${row.version}`,
      );
    const before = await versions();
    const good = { mode: 'record_only', reason: 'spec' };
    const attempts: Array<[string, unknown]> = [
      ['levels/4', good],
      ['levels/-1', good],
      ['levels/01', good],
      ['levels/1.0', good],
      ['actions/has%20space', good],
      ['actions/fixture.disabled', { mode: 'on', reason: 'spec' }],
      ['actions/fixture.disabled', { mode: 'disabled' }],
      ['actions/fixture.disabled', { mode: 'disabled', reason: '   ' }],
      ['actions/fixture.disabled', { mode: 'disabled', reason: 'nul\u0000' }],
      ['actions/fixture.disabled', { mode: 'disabled', reason: 'lone \ud800' }],
      ['actions/fixture.disabled', { mode: 'disabled', reason: 'x', extra: true }],
      ['actions/fixture.disabled', { mode: { $ne: 1 }, reason: 'x' }],
    ];
    for (const [path, body] of attempts) {
      const answer = await put(api.adminKey, path, body);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(answer.body.error.code).toMatch(/^[a-z_]+$/);
    }
    // An action code is 128 characters at most: a longer path segment is refused by the router.
    const long = await put(api.adminKey, `actions/${'a'.repeat(129)}`, good);
    expect([long.status, long.body.error.code]).toEqual([414, 'path_too_long']);
    expect(await versions()).toEqual(before);
  });

  it('an action the policy does not have: 404 action_not_found, changing nothing; with ahead_of_policy it is switched (a dark launch)', async () => {
    const action = `fixture.unshipped_${randomBytes(3).toString('hex')}`;
    const trail = async () =>
      (
        await pool.query(
          `SELECT data ->> 'to' AS mode FROM audit_events WHERE event_type = 'governance.execution_mode_changed' AND data ->> 'key' = $1 ORDER BY id`,
          [action],
        )
      ).rows.map((row) => row.mode);
    const stored = async () =>
      (await pool.query(`SELECT mode FROM execution_modes WHERE kind = 'action' AND key = $1`, [action])).rows.map((row) => row.mode);
    for (const mode of ['disabled', 'record_only', 'enabled']) {
      const refused = await put(api.adminKey, `actions/${action}`, { mode, reason: 'spec: a typo' });
      expect(refused.status).toBe(404);
      expect(refused.body.error).toMatchObject({ code: 'action_not_found', details: { action } });
      expect(refused.body.error.message).toContain('ahead_of_policy');
    }
    const notTrue = await put(api.adminKey, `actions/${action}`, { mode: 'disabled', reason: 'spec', ahead_of_policy: 'yes' });
    expect([notTrue.status, notTrue.body.error.code]).toEqual([400, 'invalid_type']);
    expect(await stored()).toEqual([]);
    expect(await trail()).toEqual([]);

    const ahead = await put(api.adminKey, `actions/${action}`, { mode: 'record_only', reason: 'spec: dark launch', ahead_of_policy: true });
    expect(ahead.status).toBe(200);
    expect(ahead.body).toMatchObject({ scope: 'action', key: action, mode: 'record_only' });
    expect(ahead.body.ahead_of_policy).toBeUndefined();
    expect(await stored()).toEqual(['record_only']);
    expect(await trail()).toEqual(['record_only']);
    // An action the policy has needs no flag, and the flag changes nothing for it.
    const known = await put(api.adminKey, 'actions/fixture.disabled', { mode: 'enabled', reason: 'spec', ahead_of_policy: true });
    expect(known.status).toBe(200);
  });

  it('an action code of the longest length a policy allows can be switched', async () => {
    const code = `fixture.${'x'.repeat(120)}`;
    const answer = await put(api.adminKey, `actions/${code}`, { mode: 'enabled', reason: 'spec: long code', ahead_of_policy: true });
    expect([answer.status, answer.body.key]).toEqual([200, code]);
  });

  it('racing switches all land, one after another: the trail links each to the one before', async () => {
    const modes = ['record_only', 'enabled', 'disabled', 'enabled', 'record_only', 'enabled', 'disabled', 'enabled'];
    const before = (await pool.query(`SELECT max(id) AS id FROM audit_events`)).rows[0].id ?? 0;
    const answers = await Promise.all(
      modes.map((mode) => put(api.adminKey, 'actions/fixture.racing', { mode, reason: `race ${mode}`, ahead_of_policy: true })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(modes.map(() => 200));
    const trail = await pool.query(
      `SELECT data FROM audit_events WHERE id > $1 AND event_type = 'governance.execution_mode_changed' AND data ->> 'key' = 'fixture.racing' ORDER BY id`,
      [before],
    );
    expect(trail.rows).toHaveLength(modes.length);
    trail.rows.forEach((row, index) => {
      expect(row.data.version).toBe(trail.rows[0].data.version + index);
      if (index > 0) expect(row.data.from).toBe(trail.rows[index - 1].data.to);
    });
    const stored = await pool.query(`SELECT mode FROM execution_modes WHERE kind = 'action' AND key = 'fixture.racing'`);
    expect(stored.rows[0].mode).toBe(trail.rows.at(-1).data.to);
  });

  it('a level switch: the most restrictive mode wins, and the database refuses a new run of a disabled level (rolled back, unseen by other specs)', async () => {
    const level = await put(api.adminKey, 'levels/2', { mode: 'enabled', reason: 'spec: explicit default' });
    expect(level.status).toBe(200);
    expect(level.body).toMatchObject({ scope: 'level', key: '2', mode: 'enabled' });

    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO execution_modes (kind, key, mode, reason, changed_by) VALUES
           ('level', '1', 'record_only', 'spec', 'spec'), ('action', 'fixture.other', 'disabled', 'spec', 'spec')
         ON CONFLICT (kind, key) DO UPDATE SET mode = EXCLUDED.mode`,
      );
      const modes = await client.query(
        `SELECT execution_mode('fixture.other', 1) AS both, execution_mode('service.restart', 1) AS level_only, execution_mode('service.restart', 0) AS neither`,
      );
      expect(modes.rows[0]).toEqual({ both: 'disabled', level_only: 'record_only', neither: 'enabled' });
      await client.query(`UPDATE execution_modes SET mode = 'disabled' WHERE kind = 'level' AND key = '1'`);
      await client.query('SAVEPOINT s');
      const refused = await client
        .query(
          `INSERT INTO execution_runs (project_id, idempotency_key, action, fingerprint, plan_hash, status, blocked_reason, requested_by, approval_level)
           VALUES ($1, 'k', 'service.restart', repeat('a', 64), repeat('a', 64), 'BLOCKED', 'approval_pending', 'someone', 1)`,
          [project()],
        )
        .then(
          () => null,
          (error: { constraint?: string }) => error.constraint,
        );
      expect(refused).toBe('execution_runs_action_enabled');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
