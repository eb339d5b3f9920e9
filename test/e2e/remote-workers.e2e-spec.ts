import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { loadConfig } from '@lib/config';
import { checkedFetch, uniqueProject, useTestApi } from '../support/api-client';
import { waitForRun } from '../support/run-events';
import { expireLaneNow } from '../support/db';
import type { RemoteWorkerProcess } from '@tools/harness';
import { exampleWorker, PYTHON3 } from '../support/remote-worker-process';

type Key = { id: string; key: string };

/**
 * The user's own code behind the gate: remote workers (real processes, on the SDK's createWorker
 * and in Python) claim approved runs of remote action types over the worker protocol, against an
 * API of this spec's own with a short lease (1.5 s), on the suite's database.
 */
describe('remote workers', () => {
  const { api, pool } = useTestApi();
  let app: NestFastifyApplication;
  let baseUrl: string;
  let requester: Key;
  let approver: Key;
  const workers: RemoteWorkerProcess[] = [];

  beforeAll(async () => {
    app = await createApiApp({
      logger: false,
      config: loadConfig({
        ...process.env,
        WORKER_LEASE_MS: '3000',
        WORKER_ABORT_GRACE_MS: '300',
        WORKER_BACKOFF_BASE_MS: '50',
        SECRET_REMOTE_PIN: '987654321',
        SECRET_REMOTE_QUOTED: 'Quo"ted\\Secret-77',
      }),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
    await pool.query(
      `INSERT INTO timeout_policies (sla_class, action_class, timeout_seconds) VALUES ('fixture_remote_fast', '*', 1) ON CONFLICT DO NOTHING`,
    );
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  afterAll(async () => {
    await app?.close();
  });

  const workerKey = (projects: string[]) => api.mintKey({ roles: ['worker'], projectIds: projects });
  const startWorker = async (key: Key, actions: string[], language: 'typescript' | 'python' = 'typescript') => {
    const worker = exampleWorker({ language, baseUrl, key: key.key, actions });
    workers.push(worker);
    await worker.ready();
    return worker;
  };
  const newRun = async (project: string, action: string, body: Record<string, unknown> = {}): Promise<string> => {
    const created = await api.createRun(requester.key, { project_id: project, idempotency_key: `k-${Math.random()}`, action, ...body });
    expect(created.status).toBe(201);
    return created.body.execution_id as string;
  };
  const post = async (key: string, path: string, body: unknown) => {
    const response = await checkedFetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field of any body
    const parsed: any = text ? JSON.parse(text) : null;
    return { status: response.status, body: parsed };
  };
  const claim = (key: Key, actions: string[], extra: Record<string, unknown> = {}) =>
    post(key.key, '/api/v1/workers/claims', { action_types: actions, max_runs: 5, ...extra });
  const result = (key: Key, id: string, index: number | string, body: Record<string, unknown>) =>
    post(key.key, `/api/v1/workers/runs/${id}/steps/${index}/result`, body);
  const runRow = async (id: string) => (await pool.query(`SELECT * FROM execution_runs WHERE id = $1`, [id])).rows[0];
  const stepRows = async (id: string) =>
    (
      await pool.query(
        `SELECT step_index, attempt, status, worker_id, result FROM execution_steps WHERE execution_run_id = $1 ORDER BY step_index, attempt`,
        [id],
      )
    ).rows;
  const until = <T>(id: string, probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000) =>
    waitForRun({ runId: id, probe, what, timeoutMs });
  const principalOf = async (key: Key) => (await api.get(key.key, '/api/v1/principals/me')).body as { id: string };
  const statusIs = (id: string, status: string) => until(id, async () => (await runRow(id)).status === status, `${id} ${status}`);

  it('a worker process on the SDK carries an approved run out step by step, and the trail names its principal and verifies', async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const id = await newRun(project, 'fixture.remote_each', { targets: ['web-2', 'web-1'], params: { ms: 50 } });
    await startWorker(worker, ['fixture.remote_each']);
    // Not approved yet: never handed out.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await runRow(id)).status).toBe('BLOCKED');
    expect(await stepRows(id)).toEqual([]);
    expect((await api.decide(approver.key, id, 'approve', { reason: 'ship it' })).status).toBe(200);
    await statusIs(id, 'SUCCEEDED');
    const steps = await stepRows(id);
    expect(steps.map((step) => [step.step_index, step.status])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
    ]);
    const run = await runRow(id);
    expect(run.result.steps).toBe(2);
    expect(run.result.results.map((item: { step: string }) => item.step)).toEqual(['web-1', 'web-2']);
    const { rows: events } = await pool.query(`SELECT event_type, actor FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [id]);
    const byWorker = events.filter((event) => ['run.claimed', 'step.started', 'step.finished', 'step.progress'].includes(event.event_type));
    expect(byWorker.length).toBeGreaterThanOrEqual(6);
    expect(new Set(byWorker.map((event) => event.actor))).toEqual(new Set([(await principalOf(worker)).id]));
    const verified = await api.get(api.adminKey, `/api/v1/audit/verify?execution_id=${id}`);
    expect(verified.body.ok).toBe(true);
  });

  it('kill -9 in the middle of a step: the lease runs out, another worker takes the run, no step that succeeded runs again, it ends once', async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const id = await newRun(project, 'fixture.remote', { params: { ms: 2500 } });
    const first = await startWorker(worker, ['fixture.remote']);
    // Step 0 succeeded, step 1 runs: kill the worker then.
    await until(id, async () => (await stepRows(id)).some((step) => step.step_index === 1 && step.status === 'running'), 'step 1 running');
    await first.kill9();
    await startWorker(worker, ['fixture.remote']);
    await statusIs(id, 'SUCCEEDED');
    const steps = await stepRows(id);
    expect(steps.filter((step) => step.step_index === 0).map((step) => step.status)).toEqual(['succeeded']);
    // The killed worker's step was abandoned (a slow heartbeat on a busy machine may lose a lease more than once): one success, last.
    const second = steps.filter((step) => step.step_index === 1).map((step) => step.status);
    expect(second.slice(-1)).toEqual(['succeeded']);
    expect(second.slice(0, -1).length).toBeGreaterThanOrEqual(1);
    expect(new Set(second.slice(0, -1))).toEqual(new Set(['abandoned']));
    const { rows: ends } = await pool.query(
      `SELECT 1 FROM audit_events WHERE execution_run_id = $1 AND event_type = 'run.status_changed' AND data->>'to' = 'SUCCEEDED'`,
      [id],
    );
    expect(ends).toHaveLength(1);
  });

  it('a cancel reaches the worker within a heartbeat: the run ends CANCELLED, its target free, and the worker takes the next run', async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const id = await newRun(project, 'fixture.remote', { targets: ['db-1'], params: { ms: 20_000 } });
    await startWorker(worker, ['fixture.remote']);
    await until(id, async () => (await stepRows(id)).some((step) => step.status === 'running'), 'a step running');
    const asked = Date.now();
    const cancel = await api.http
      .post(`/api/v1/execution/run/${id}/cancel`)
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ reason: 'stop' });
    expect([200, 202]).toContain(cancel.status);
    await statusIs(id, 'CANCELLED');
    // The heartbeat interval is a third of the 3 s lease: the cancel reached the worker within about one.
    expect(Date.now() - asked).toBeLessThan(3000);
    expect((await pool.query(`SELECT 1 FROM execution_locks WHERE execution_run_id = $1`, [id])).rowCount).toBe(0);
    expect((await stepRows(id)).map((step) => step.status)).toEqual(['cancelled']);
    const next = await newRun(project, 'fixture.remote', { targets: ['db-1'], params: { ms: 10 } });
    await statusIs(next, 'SUCCEEDED');
  });

  it("a worker that outlives the run's timeout: the run is TIMED_OUT and its late result is refused", async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const id = await newRun(project, 'fixture.remote_fast');
    const claimed = await claim(worker, ['fixture.remote_fast'], { wait_seconds: 5 });
    expect(claimed.status).toBe(200);
    expect(claimed.body.runs.map((run: { execution_id: string }) => run.execution_id)).toEqual([id]);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const late = await result(worker, id, 0, { lease_token: claimed.body.lease_token, outcome: 'OK' });
    expect([late.status, late.body.error.code]).toEqual([409, 'run_timed_out']);
    expect((await runRow(id)).status).toBe('TIMED_OUT');
    expect((await stepRows(id)).map((step) => step.status)).toEqual(['timed_out']);
    const again = await result(worker, id, 0, { lease_token: claimed.body.lease_token, outcome: 'OK' });
    expect([again.status, again.body.error.code]).toEqual([409, 'run_timed_out']);
    const beat = await post(worker.key, `/api/v1/workers/runs/${id}/heartbeat`, { lease_token: claimed.body.lease_token });
    expect([beat.status, beat.body.error.code]).toEqual([409, 'lease_lost']);
  });

  it("a worker gets only its projects' runs of the actions it serves, and its key does nothing else; revoked, it is refused at its next heartbeat", async () => {
    const mine = uniqueProject('rw');
    const theirs = uniqueProject('rw');
    const worker = await workerKey([mine]);
    const other = await newRun(theirs, 'fixture.remote');
    const unserved = await newRun(mine, 'fixture.remote_fast');
    const served = await newRun(mine, 'fixture.remote');
    const claimed = await claim(worker, ['fixture.remote'], { wait_seconds: 1 });
    expect(claimed.body.runs.map((run: { execution_id: string }) => run.execution_id)).toEqual([served]);
    expect((await runRow(other)).status).toBe('RUN');
    expect((await runRow(unserved)).status).toBe('RUN');
    // A built-in action is not a remote worker's, and an action not in the policy is nobody's.
    expect((await claim(worker, ['deploy'])).body.error.code).toBe('action_not_remote');
    expect((await claim(worker, ['no.such.action'])).body.error.code).toBe('unknown_action');
    // Its key cannot create, approve or read runs, nor touch another project's.
    expect((await api.createRun(worker.key, { project_id: mine, idempotency_key: 'w', action: 'fixture.remote' })).status).toBe(403);
    expect((await api.get(worker.key, `/api/v1/execution/run/${served}`)).status).toBe(403);
    expect((await api.decide(worker.key, served, 'approve', { reason: 'x', plan_hash: 'x'.repeat(64) })).status).toBe(403);
    const foreign = await post(worker.key, `/api/v1/workers/runs/${other}/heartbeat`, { lease_token: claimed.body.lease_token });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'execution_not_found']);
    // Neither the requester nor an admin may carry runs out.
    expect((await claim(requester, ['fixture.remote'])).status).toBe(403);
    expect((await claim({ id: '', key: api.adminKey }, ['fixture.remote'])).status).toBe(403);
    // Revoked: the next heartbeat is refused, and the lease runs out to the reaper.
    expect(
      (await api.http.post(`/api/v1/api-keys/${worker.id}/revoke`).set('Authorization', `Bearer ${api.adminKey}`).send({ reason: 'gone' }))
        .status,
    ).toBe(200);
    const beat = await post(worker.key, `/api/v1/workers/runs/${served}/heartbeat`, { lease_token: claimed.body.lease_token });
    expect(beat.status).toBe(401);
    const fresh = await workerKey([mine]);
    // Another worker's claims reap on the way (once a second at most): the revoked worker's step is abandoned once its lease ran out.
    const deadline = Date.now() + 20_000;
    while (!(await stepRows(served)).some((step) => step.status === 'abandoned')) {
      expect(Date.now()).toBeLessThan(deadline);
      await claim(fresh, ['fixture.remote'], { wait_seconds: 1 });
    }
  });

  it('hostile input: other leases, steps never handed out, out-of-range indexes, oversized results, NUL and lone surrogates are 4xx and write nothing; racing results for one step start the next once', async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const intruder = await workerKey([project]);
    const id = await newRun(project, 'fixture.remote', { params: { token: { $secret: 'NOT_CONFIGURED_ANYWHERE' } } });
    const claimed = await claim(worker, ['fixture.remote'], { wait_seconds: 5 });
    // A step that names a secret nobody configured is never handed out: each attempt fails (retryable), then the run is dead-lettered.
    expect(claimed.body.runs).toEqual([]);
    await statusIs(id, 'DEAD_LETTERED');
    expect((await runRow(id)).last_error).toBe('secret "NOT_CONFIGURED_ANYWHERE" is not configured');

    const plain = await newRun(project, 'fixture.remote', { params: { ms: 1 } });
    const got = await claim(worker, ['fixture.remote'], { wait_seconds: 5 });
    const run = got.body.runs.find((item: { execution_id: string }) => item.execution_id === plain);
    expect(run.step).toMatchObject({ index: 0, name: 'prepare' });
    expect(run.steps).toEqual([
      { index: 0, name: 'prepare' },
      { index: 1, name: 'apply' },
    ]);
    const token = got.body.lease_token as string;
    const theirs = (await claim(intruder, ['fixture.remote'])).body.lease_token as string;
    const before = JSON.stringify(await stepRows(plain));
    const refusals: Array<[number | string, Record<string, unknown>, number, string]> = [
      [0, { lease_token: theirs, outcome: 'OK' }, 409, 'lease_lost'],
      [1, { lease_token: token, outcome: 'OK' }, 409, 'step_not_current'],
      [99999, { lease_token: token, outcome: 'OK' }, 400, 'invalid_value'],
      ['-1', { lease_token: token, outcome: 'OK' }, 400, 'invalid_value'],
      ['abc', { lease_token: token, outcome: 'OK' }, 400, 'invalid_value'],
      [0, { lease_token: token, outcome: 'OK', result: { blob: 'x'.repeat(11_000) } }, 413, 'result_too_large'],
      [0, { lease_token: token, outcome: 'OK\u0000' }, 400, 'invalid_format'],
      [0, { lease_token: token, outcome: 'OK', result: { text: 'a\ud800' } }, 400, 'invalid_value'],
      [0, { lease_token: token, outcome: 'MAYBE' }, 400, 'invalid_format'],
      [0, { lease_token: token }, 400, 'invalid_value'],
      [0, { lease_token: token, outcome: 'OK', error: 'both' }, 400, 'invalid_value'],
      [0, { lease_token: 'short', outcome: 'OK' }, 400, 'invalid_format'],
      ['%20', { lease_token: token, outcome: 'OK' }, 400, 'invalid_value'],
      ['00', { lease_token: token, outcome: 'OK' }, 400, 'invalid_value'],
      ['+0', { lease_token: token, outcome: 'OK' }, 400, 'invalid_value'],
      ['1e3', { lease_token: token, outcome: 'OK' }, 400, 'invalid_value'],
      [0, { lease_token: token, outcome: 'OK', claim_next: { action_types: ['fixture.remote'], max_runs: '2' } }, 400, 'invalid_type'],
    ];
    for (const [index, body, status, code] of refusals) {
      const answer = await result(worker, plain, index, body);
      expect([index, answer.status]).toEqual([index, status]);
      expect(typeof answer.body.error.code).toBe('string');
      if (code !== 'invalid_value' && code !== 'invalid_format') expect(answer.body.error.code).toBe(code);
    }
    expect(JSON.stringify(await stepRows(plain))).toBe(before);
    // Ten racing copies of one result: one next step, and every copy answered with it.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => result(worker, plain, 0, { lease_token: token, outcome: 'OK', result: { done: 0 } })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((answer) => JSON.stringify(answer.body)))).toEqual(new Set([JSON.stringify(answers[0].body)]));
    expect(answers[0].body.next_step).toMatchObject({ index: 1, name: 'apply' });
    expect((await stepRows(plain)).map((step) => [step.step_index, step.status])).toEqual([
      [0, 'succeeded'],
      [1, 'running'],
    ]);
    // The same step with another result is refused; the last step's result ends the run, and a copy of it gets the same end.
    expect((await result(worker, plain, 0, { lease_token: token, outcome: 'SKIP:changed my mind' })).body.error.code).toBe(
      'step_already_reported',
    );
    // The same outcome with another result is another report too, never taken for the first sent again.
    expect((await result(worker, plain, 0, { lease_token: token, outcome: 'OK', result: { done: 1 } })).body.error.code).toBe(
      'step_already_reported',
    );
    // Progress names the step the server is running, whatever the data says.
    expect(
      (await post(worker.key, `/api/v1/workers/runs/${plain}/progress`, { lease_token: token, data: { step: 99, note: 'x' } })).status,
    ).toBe(202);
    const { rows: progress } = await pool.query(
      `SELECT data FROM audit_events WHERE execution_run_id = $1 AND event_type = 'step.progress'`,
      [plain],
    );
    expect(progress.map((row) => row.data)).toEqual([{ step: 1, note: 'x' }]);
    const last = await result(worker, plain, 1, { lease_token: token, outcome: 'OK' });
    expect([last.status, last.body.status, last.body.next_step]).toEqual([200, 'SUCCEEDED', null]);
    expect((await result(worker, plain, 1, { lease_token: token, outcome: 'OK' })).body).toEqual(last.body);
  });

  it('the gate is checked again at the claim: an expired, a plan-changed and a record-only run are never handed to a worker', async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const expired = await newRun(project, 'fixture.remote_each', { targets: ['a'] });
    expect((await api.decide(approver.key, expired, 'approve', { reason: 'ok' })).status).toBe(200);
    await expireLaneNow(pool, expired);
    const replanned = await newRun(project, 'fixture.remote_each', { targets: ['b'] });
    expect((await api.decide(approver.key, replanned, 'approve', { reason: 'ok' })).status).toBe(200);
    const plan = await api.http
      .put(`/api/v1/execution/run/${replanned}/plan`)
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ params: { v: 2 } });
    expect(plan.status).toBe(200);
    const mode = await api.http
      .put('/api/v1/governance/execution-modes/actions/fixture.remote_modes')
      .set('Authorization', `Bearer ${api.adminKey}`)
      .send({ mode: 'record_only', reason: 'spec: dark launch of a remote action' });
    expect(mode.status).toBe(200);
    try {
      const recorded = await newRun(project, 'fixture.remote_modes');
      const claimed = await claim(worker, ['fixture.remote_each', 'fixture.remote_modes'], { wait_seconds: 1 });
      expect(claimed.body.runs).toEqual([]);
      expect((await runRow(recorded)).status).toBe('RECORDED');
      expect((await runRow(replanned)).status).toBe('BLOCKED');
      expect(['RUN', 'EXPIRED']).toContain((await runRow(expired)).status);
      for (const id of [expired, replanned, recorded]) expect(await stepRows(id)).toEqual([]);
    } finally {
      await api.http
        .put('/api/v1/governance/execution-modes/actions/fixture.remote_modes')
        .set('Authorization', `Bearer ${api.adminKey}`)
        .send({ mode: 'enabled', reason: 'spec: back on' });
    }
  });

  it("level 3 with a remote worker: after each step the run waits for that step's own approval, then the next claim resumes at it", async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const id = await newRun(project, 'fixture.remote_l3', { targets: ['prod-1'] });
    expect((await api.decide(approver.key, id, 'approve', { reason: 'canary' })).status).toBe(200);
    const first = await claim(worker, ['fixture.remote_l3'], { wait_seconds: 5 });
    expect(first.body.runs.map((run: { step: { name: string } }) => run.step.name)).toEqual(['canary']);
    const paused = await result(worker, id, 0, { lease_token: first.body.lease_token, outcome: 'OK' });
    expect([paused.status, paused.body.status, paused.body.next_step]).toEqual([200, 'BLOCKED', null]);
    expect((await claim(worker, ['fixture.remote_l3'])).body.runs).toEqual([]);
    expect((await api.decide(approver.key, id, 'approve', { reason: 'fleet' })).status).toBe(200);
    const second = await claim(worker, ['fixture.remote_l3'], { wait_seconds: 5 });
    expect(second.body.runs.map((run: { step: { index: number; name: string } }) => [run.step.index, run.step.name])).toEqual([
      [1, 'fleet'],
    ]);
    const done = await result(worker, id, 1, { lease_token: second.body.lease_token, outcome: 'OK' });
    expect(done.body.status).toBe('SUCCEEDED');
    // The first lease is gone for good: it cannot report the second step.
    expect((await result(worker, id, 1, { lease_token: first.body.lease_token, outcome: 'OK' })).body.error.code).toBe('lease_lost');
  });

  it('a result that ends its run can claim the next runs in the same answer; a claim_next naming a built-in action is 422 and writes nothing', async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const first = await newRun(project, 'fixture.remote_each', { targets: ['x'] });
    expect((await api.decide(approver.key, first, 'approve', { reason: 'ok' })).status).toBe(200);
    const claimed = await claim(worker, ['fixture.remote_each'], { wait_seconds: 5 });
    const token = claimed.body.lease_token as string;
    const second = await newRun(project, 'fixture.remote_each', { targets: ['y'] });
    expect((await api.decide(approver.key, second, 'approve', { reason: 'ok' })).status).toBe(200);
    const refused = await result(worker, first, 0, {
      lease_token: token,
      outcome: 'OK',
      claim_next: { action_types: ['deploy'], max_runs: 1 },
    });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'action_not_remote']);
    expect((await stepRows(first)).map((step) => step.status)).toEqual(['running']);
    const done = await result(worker, first, 0, {
      lease_token: token,
      outcome: 'OK',
      claim_next: { action_types: ['fixture.remote_each'], max_runs: 2 },
    });
    expect([done.status, done.body.status, done.body.next_step]).toEqual([200, 'SUCCEEDED', null]);
    expect(done.body.claimed.runs.map((run: { execution_id: string }) => run.execution_id)).toEqual([second]);
    expect(done.body.claimed.lease_token).not.toBe(token);
    const next = await result(worker, second, 0, { lease_token: done.body.claimed.lease_token, outcome: 'OK' });
    expect([next.body.status, next.body.claimed]).toEqual(['SUCCEEDED', null]);
  });

  it('what a worker reports of the secrets its steps were given is masked, a quoted or a numeric one too, and never a 500', async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const id = await newRun(project, 'fixture.remote', {
      params: { pin: { $secret: 'REMOTE_PIN' }, quoted: { $secret: 'REMOTE_QUOTED' } },
    });
    const claimed = await claim(worker, ['fixture.remote'], { wait_seconds: 5 });
    const run = claimed.body.runs[0];
    expect(run.step.input).toMatchObject({ pin: '987654321', quoted: 'Quo"ted\\Secret-77' });
    expect(run.params).toEqual({ pin: { $secret: 'REMOTE_PIN' }, quoted: { $secret: 'REMOTE_QUOTED' } });
    const echoed = { n: 987654321, q: run.step.input.quoted, [run.step.input.quoted]: 1, text: `pin ${run.step.input.pin}` };
    const token = claimed.body.lease_token as string;
    expect((await post(worker.key, `/api/v1/workers/runs/${id}/progress`, { lease_token: token, data: echoed })).status).toBe(202);
    const answer = await result(worker, id, 0, { lease_token: token, outcome: 'OK', result: echoed });
    expect(answer.status).toBe(200);
    const stored = JSON.stringify([
      (await stepRows(id)).map((step) => step.result),
      (await pool.query(`SELECT data FROM audit_events WHERE execution_run_id = $1`, [id])).rows,
    ]);
    expect(stored).not.toContain('987654321');
    expect(stored).not.toContain('Secret-77');
    expect((await stepRows(id))[0].result).toEqual({ n: '[secret]', q: '[secret]', '[secret]': 1, text: 'pin [secret]' });
  });

  it('a claim nobody waits for any more takes nothing: a worker that hung up, or whose key was revoked while it waited', async () => {
    const project = uniqueProject('rw');
    const worker = await workerKey([project]);
    const hangUp = new AbortController();
    const waiting = fetch(`${baseUrl}/api/v1/workers/claims`, {
      method: 'POST',
      headers: { authorization: `Bearer ${worker.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action_types: ['fixture.remote'], wait_seconds: 10 }),
      signal: hangUp.signal,
    }).catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    hangUp.abort();
    await waiting;
    const orphan = await newRun(project, 'fixture.remote');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await runRow(orphan)).status).toBe('RUN');
    expect(await stepRows(orphan)).toEqual([]);

    const revoked = await workerKey([project]);
    const claiming = claim(revoked, ['fixture.remote_each'], { wait_seconds: 4 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const revoke = await api.http
      .post(`/api/v1/api-keys/${revoked.id}/revoke`)
      .set('Authorization', `Bearer ${api.adminKey}`)
      .send({ reason: 'compromised' });
    expect(revoke.status).toBe(200);
    const late = await newRun(project, 'fixture.remote_each', { targets: ['z'] });
    expect((await api.decide(approver.key, late, 'approve', { reason: 'ok' })).status).toBe(200);
    expect((await claiming).body.runs).toEqual([]);
    expect((await runRow(late)).status).toBe('RUN');
  });

  it('the worker role is held alone: a key that is a worker and anything else is refused, and the database refuses such a principal', async () => {
    for (const roles of [
      ['worker', 'admin'],
      ['worker', 'approver'],
      ['worker', 'requester'],
    ]) {
      const minted = await api.http
        .post('/api/v1/api-keys')
        .set('Authorization', `Bearer ${api.adminKey}`)
        .send({ name: 'mixed', roles, project_ids: ['p'] });
      expect([minted.status, minted.body.error.code]).toEqual([400, 'invalid_value']);
    }
    await expect(
      pool.query(
        `INSERT INTO principals (id, kind, name, role_grants, created_by) VALUES (gen_random_uuid(), 'service', 'x', ARRAY['worker@p', 'approver@p'], 'test')`,
      ),
    ).rejects.toThrow(/principals_worker_role_alone/);
  });

  (PYTHON3 ? it : it.skip)(
    'a worker in Python, with only its standard library, carries a run out (skipped where python3 is missing)',
    async () => {
      const project = uniqueProject('rw');
      const worker = await workerKey([project]);
      const id = await newRun(project, 'fixture.remote', { params: { ms: 20 } });
      await startWorker(worker, ['fixture.remote'], 'python');
      await statusIs(id, 'SUCCEEDED');
      const run = await runRow(id);
      expect(run.result.results.map((item: { worker: string; step: string }) => [item.worker, item.step])).toEqual([
        ['python', 'prepare'],
        ['python', 'apply'],
      ]);
      const failing = await newRun(project, 'fixture.remote', { params: { fail: 'fail' } });
      await statusIs(failing, 'FAILED');
      expect((await runRow(failing)).last_error).toContain('FAIL:requested');
    },
  );
});
