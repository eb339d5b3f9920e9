import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { useTestApi } from '../support/api-client';
import { waitForRun } from '../support/run-events';
import type { WorkerProcess } from '@tools/harness';
import { testWorker } from '../support/worker-process';

type Key = { id: string; key: string };
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;

/** Real worker processes against real PostgreSQL, each serving only this file's projects. */
describe('execution by worker processes', () => {
  const { api, pool } = useTestApi();
  const prefix = `wproc${randomBytes(3).toString('hex')}`;
  let requester: Key;
  let approver: Key;
  const workers: WorkerProcess[] = [];
  let echo: Server;
  let echoUrl: string;

  const startWorker = async (name: string): Promise<WorkerProcess> => {
    const worker = testWorker({ id: `${prefix}-${name}`, projects: `${prefix}-%`, env: { SECRET_API_TOKEN: SECRET } });
    workers.push(worker);
    await worker.ready();
    return worker;
  };

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
    // Answers with what it was sent (the Authorization header included), and 400 on /fail.
    echo = createServer((request, response) => {
      response.writeHead(request.url === '/fail' ? 400 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ authorization: request.headers.authorization ?? null, path: request.url }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    await Promise.all([startWorker('a'), startWorker('b')]);
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await new Promise((resolve) => echo?.close(resolve));
  });

  const approvedRun = async (body: Record<string, unknown>): Promise<string> => {
    const created = await api.createRun(requester.key, {
      project_id: `${prefix}-${randomUUID().slice(0, 8)}`,
      idempotency_key: 'k',
      ...body,
    });
    expect(created.status).toBe(201);
    expect((await api.decide(approver.key, created.body.execution_id, 'approve')).status).toBe(200);
    return created.body.execution_id;
  };
  const runRow = async (id: string) => (await pool.query(`SELECT * FROM execution_runs WHERE id = $1`, [id])).rows[0];
  /** Waits on a run's audit events (see waitForRun), not on a polling loop. */
  const waitFor = <T>(runId: string, probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> =>
    waitForRun({ runId, probe, what, timeoutMs });
  const statusIs = async (id: string, statuses: string[]) => {
    try {
      return await waitFor(
        id,
        async () => ((row) => (statuses.includes(row.status) ? row : undefined))(await runRow(id)),
        `run ${id} to be ${statuses.join('|')}`,
      );
    } catch (error) {
      const row = await runRow(id);
      const { rows: steps } = await pool.query(
        `SELECT step_index, attempt, status, worker_id, error FROM execution_steps WHERE execution_run_id = $1 ORDER BY id`,
        [id],
      );
      const state = `it is ${row.status} (attempt ${row.attempt}, worker ${row.worker_id}, lease ${row.lease_expires_at}, error ${row.last_error})`;
      const logs = workers.map((worker) => worker.output.join('').slice(-1500)).join('\n---\n');
      throw new Error(`${(error as Error).message}; ${state} steps ${JSON.stringify(steps)}\n${logs}`);
    }
  };

  it('kill -9 a worker in the middle of a multi-step run: another finishes it, no finished step runs twice', async () => {
    const id = await approvedRun({ action: 'ops.sleep', params: { ms: 400 }, targets: ['k1', 'k2', 'k3', 'k4'] });
    // Wait until step 1 runs, then kill whichever worker holds the run.
    const holder = await waitFor(
      id,
      async () => {
        const { rows } = await pool.query(
          `SELECT worker_id FROM execution_steps WHERE execution_run_id = $1 AND step_index = 1 AND status = 'running'`,
          [id],
        );
        return rows[0]?.worker_id as string | undefined;
      },
      'step 1 to start',
    );
    const victim = workers.find((worker) => holder === `${prefix}-${worker === workers[0] ? 'a' : 'b'}`) ?? workers[0];
    await victim.kill9();
    const done = await statusIs(id, ['SUCCEEDED']);
    expect(done.attempt).toBe(2);
    const { rows: steps } = await pool.query(
      `SELECT step_index, attempt, status, worker_id FROM execution_steps WHERE execution_run_id = $1 ORDER BY id`,
      [id],
    );
    const succeeded = steps.filter((step) => step.status === 'succeeded').map((step) => step.step_index);
    expect(succeeded.sort()).toEqual([0, 1, 2, 3]);
    expect(steps.find((step) => step.step_index === 0 && step.status === 'succeeded').attempt).toBe(1);
    expect(steps.filter((step) => step.step_index === 1).map((step) => step.status)).toEqual(['abandoned', 'succeeded']);
    expect(new Set(steps.filter((step) => step.attempt === 2).map((step) => step.worker_id))).toEqual(
      new Set([holder === `${prefix}-a` ? `${prefix}-b` : `${prefix}-a`]),
    );
    expect((await pool.query(`SELECT 1 FROM execution_locks WHERE execution_run_id = $1`, [id])).rowCount).toBe(0);
    // Two live workers again for the tests that follow.
    await startWorker('c');
  });

  it('a run past max_attempts lands in the DLQ, is visible there and is re-driven by an admin', async () => {
    const id = await approvedRun({ action: 'ops.sleep', params: { ms: 5, fail: 'throw' }, targets: ['d1'] });
    await statusIs(id, ['DEAD_LETTERED']);
    const listed = await api.get(approver.key, '/api/v1/execution/dlq?limit=500');
    expect(listed.status).toBe(200);
    const entry = listed.body.entries.find((candidate: { execution_id: string }) => candidate.execution_id === id);
    expect(entry).toMatchObject({ attempts: 3, last_error: expect.stringMatching(/failed on purpose/) });
    expect((await api.http.post(`/api/v1/execution/dlq/${entry.id}/retry`).set('Authorization', `Bearer ${approver.key}`)).status).toBe(
      403,
    );
    const retried = await api.http.post(`/api/v1/execution/dlq/${entry.id}/retry`).set('Authorization', `Bearer ${api.adminKey}`);
    expect(retried.status).toBe(200);
    expect(retried.body.entry.redriven_by).toBeTruthy();
    expect((await api.http.post(`/api/v1/execution/dlq/${entry.id}/retry`).set('Authorization', `Bearer ${api.adminKey}`)).status).toBe(
      409,
    );
    // It fails again (the handler always throws) and comes back with three new attempts.
    await waitFor(
      id,
      async () =>
        (await pool.query(`SELECT 1 FROM execution_dlq WHERE execution_run_id = $1 AND redriven_at IS NULL`, [id])).rowCount === 1,
      'a second dead letter',
    );
    expect((await pool.query(`SELECT count(*)::int AS n FROM execution_steps WHERE execution_run_id = $1`, [id])).rows[0].n).toBe(6);
    expect((await runRow(id)).attempt).toBe(6);
  });

  it('cancel: a waiting run at once; a running one as soon as its handler checks, with its locks released', async () => {
    const waiting = await api.createRun(requester.key, {
      project_id: `${prefix}-${randomUUID().slice(0, 8)}`,
      idempotency_key: 'k',
      action: 'ops.sleep',
      targets: ['c0'],
    });
    const at_once = await api.http
      .post(`/api/v1/execution/run/${waiting.body.execution_id}/cancel`)
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ reason: 'not needed' });
    expect(at_once.status).toBe(200);
    expect(at_once.body).toMatchObject({ status: 'CANCELLED', execution: { cancelled_by: requester.id } });
    const again = await api.http
      .post(`/api/v1/execution/run/${waiting.body.execution_id}/cancel`)
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('run_not_cancellable');

    const id = await approvedRun({ action: 'ops.sleep', params: { ms: 20_000 }, targets: ['c1'] });
    await statusIs(id, ['RUNNING']);
    const requested = await api.http
      .post(`/api/v1/execution/run/${id}/cancel`)
      .set('Authorization', `Bearer ${approver.key}`)
      .send({ reason: 'stop it' });
    // Delivered at once (NOTIFY), not at the next heartbeat: the answer already says CANCELLED.
    expect(requested.status).toBe(200);
    expect(requested.body).toMatchObject({ status: 'CANCELLED', execution: { cancelled_by: approver.id } });
    expect(requested.body.execution.cancel_requested_at).toBeTruthy();
    const cancelled = await statusIs(id, ['CANCELLED']);
    expect(cancelled).toMatchObject({ cancelled_by: approver.id });
    expect(cancelled.cancel_checks_performed).toBeGreaterThan(0);
    expect((await pool.query(`SELECT 1 FROM execution_locks WHERE execution_run_id = $1`, [id])).rowCount).toBe(0);
  });

  it('a cancel is never misread: acknowledged (200/202) means the run ends CANCELLED; after the end it is 409 cancel_too_late', async () => {
    // Short runs, cancelled while they run or just after: whichever commits first, the answer says which.
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, index) => approvedRun({ action: 'ops.sleep', params: { ms: 15 }, targets: [`short-${index}`] })),
    );
    const answers = await Promise.all(
      ids.map((id) =>
        api.http.post(`/api/v1/execution/run/${id}/cancel`).set('Authorization', `Bearer ${approver.key}`).send({ reason: 'race' }),
      ),
    );
    for (const [index, id] of ids.entries()) {
      const answer = answers[index];
      const final = await statusIs(id, ['SUCCEEDED', 'CANCELLED', 'FAILED', 'TIMED_OUT']);
      if (answer.status === 409) {
        expect(answer.body.error).toMatchObject({ code: 'cancel_too_late', details: { status: final.status } });
        expect(final.status).toBe('SUCCEEDED');
        expect(final.cancel_requested_at).toBeNull();
      } else {
        expect([answer.status, answer.body.status]).toEqual([200, 'CANCELLED']);
        expect(final.status).toBe('CANCELLED');
        expect(final.result).toBeNull();
      }
    }
    // A run that ended long ago: too late, and nothing is written.
    const again = await api.http
      .post(`/api/v1/execution/run/${ids[0]}/cancel`)
      .set('Authorization', `Bearer ${approver.key}`)
      .send({ reason: 'late' });
    expect(again.status).toBe(409);
    expect(['cancel_too_late', 'run_not_cancellable']).toContain(again.body.error.code);
  });

  it('a multi-step run cancelled during its first step runs no further step', async () => {
    const id = await approvedRun({ action: 'ops.sleep', params: { ms: 600 }, targets: ['m1', 'm2', 'm3'] });
    await waitFor(id, async () => (await pool.query(`SELECT 1 FROM execution_steps WHERE execution_run_id = $1`, [id])).rowCount, 'a step');
    const answer = await api.http
      .post(`/api/v1/execution/run/${id}/cancel`)
      .set('Authorization', `Bearer ${approver.key}`)
      .send({ reason: 'stop' });
    expect([answer.status, answer.body.status]).toEqual([200, 'CANCELLED']);
    const { rows } = await pool.query(`SELECT step_index, status FROM execution_steps WHERE execution_run_id = $1 ORDER BY step_index`, [
      id,
    ]);
    expect(rows).toEqual([{ step_index: 0, status: 'cancelled' }]);
  });

  it('a handler that does not stop in time: 202 with the cancel requested, and the run still ends CANCELLED', async () => {
    // A worker whose grace outlasts the API's wait for the run to stop.
    const slowPrefix = `${prefix}slow`;
    const stubborn = testWorker({ id: `${slowPrefix}-w`, projects: `${slowPrefix}%`, env: { WORKER_ABORT_GRACE_MS: '8000' } });
    workers.push(stubborn);
    await stubborn.ready();
    const created = await api.createRun(requester.key, {
      project_id: `${slowPrefix}-${randomUUID().slice(0, 8)}`,
      idempotency_key: 'k',
      action: 'ops.sleep',
      params: { ms: 30_000, fail: 'ignore_abort' },
      targets: ['stubborn'],
    });
    const id = created.body.execution_id;
    expect((await api.decide(approver.key, id, 'approve')).status).toBe(200);
    await statusIs(id, ['RUNNING']);
    const answer = await api.http
      .post(`/api/v1/execution/run/${id}/cancel`)
      .set('Authorization', `Bearer ${approver.key}`)
      .send({ reason: 'stop' });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: 'RUNNING' });
    expect(answer.body.execution.cancel_requested_at).toBeTruthy();
    expect(await statusIs(id, ['CANCELLED', 'SUCCEEDED'])).toMatchObject({ status: 'CANCELLED', result: null });
    await stubborn.stop();
  });

  it('a secret resolved by the worker appears in no log line, row or response', async () => {
    const ok = await approvedRun({
      action: 'webhook.call',
      params: { url: `${echoUrl}/ok`, method: 'POST', headers: { authorization: { $secret: 'api_token' } } },
      targets: ['hook'],
    });
    const failed = await approvedRun({
      action: 'webhook.call',
      params: { url: `${echoUrl}/fail`, method: 'POST', headers: { authorization: { $secret: 'api_token' } } },
      targets: ['hook-2'],
    });
    // A handler that logs its whole input, the resolved secret with it.
    const logged = await approvedRun({ action: 'ops.sleep', params: { ms: 5, token: { $secret: 'api_token' } }, targets: ['log-1'] });
    const done = await statusIs(ok, ['SUCCEEDED']);
    await statusIs(failed, ['FAILED']);
    await statusIs(logged, ['SUCCEEDED']);
    const output = workers.map((worker) => worker.output.join('')).join('');
    expect(output).toContain('sleep step');
    expect(output).toContain('[secret]');
    // The echo server did receive the real value, so the handler really had it.
    expect(JSON.stringify(done.result)).toContain('[secret]');
    const dump = JSON.stringify([
      (await pool.query(`SELECT * FROM execution_runs WHERE id = ANY($1)`, [[ok, failed, logged]])).rows,
      (await pool.query(`SELECT * FROM execution_steps WHERE execution_run_id = ANY($1)`, [[ok, failed, logged]])).rows,
      (await pool.query(`SELECT * FROM audit_events WHERE execution_run_id = ANY($1)`, [[ok, failed, logged]])).rows,
      (await api.get(requester.key, `/api/v1/execution/run/${ok}`)).body,
      (await api.get(requester.key, `/api/v1/execution/run/${failed}/events`)).body,
    ]);
    expect(dump).not.toContain(SECRET);
    expect(dump).toContain('$secret');
    expect(output).not.toContain(SECRET);
  });

  it('http.request calls only URLs the action type allows; anything else fails before any request is sent', async () => {
    const called = await approvedRun({ action: 'webhook.call', params: { url: `${echoUrl}/allowed` }, targets: ['hook-3'] });
    const refused = await approvedRun({
      action: 'webhook.call',
      params: { url: 'http://localhost:9/not-allowlisted' },
      targets: ['hook-4'],
    });
    const done = await statusIs(called, ['SUCCEEDED']);
    expect(done.result).toMatchObject({ steps: 1, results: [{ status: 200 }] });
    const failed = await statusIs(refused, ['FAILED']);
    expect(failed.last_error).toMatch(/FAIL:invalid_params: params.url is not in the action's allowed_urls/);
    expect((await pool.query(`SELECT 1 FROM execution_steps WHERE execution_run_id = $1`, [refused])).rowCount).toBe(0);
  });
});
