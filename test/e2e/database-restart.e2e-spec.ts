import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@lib/config';
import { freePort } from '@lib/database';
import { createMigratedDatabase, PostgresProcess } from '@tools/harness';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { readServerSentEvents } from '../support/server-sent-events';
import { waitForRun } from '../support/run-events';

/**
 * A real PostgreSQL server restarted under load, behind an API with its worker in the same
 * process. Nothing answers 401 or 500 while it is down (503 with Retry-After instead), and once
 * it is back everything comes back by itself: requests, the worker's LISTEN (its poll is set to
 * a minute, so only a notification can wake it), and an open stream, which receives every event
 * of its run without a gap.
 */
describe('a database restart under load', () => {
  const adminKey = `restart-admin-${randomBytes(12).toString('hex')}`;
  let dataDir: string;
  let server: PostgresProcess | undefined;
  let databaseUrl = '';
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    if (process.env.API_URL) return;
    dataDir = mkdtempSync(join(tmpdir(), 'control-plane-restart-'));
    server = new PostgresProcess({ dataDir, port: await freePort() });
    const serverUrl = await server.start();
    databaseUrl = (await createMigratedDatabase({ serverUrl, prefix: 'restart' })).url;
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: databaseUrl,
      BOOTSTRAP_ADMIN_KEY: adminKey,
      WORKER_POLL_MS: '60000',
      SWEEP_INTERVAL_MS: '3600000',
      DB_POOL_SIZE: '4',
    });
    app = await createApiApp({ logger: process.env.DEBUG_RESTART === '1', withWorker: true, config });
    await app.listen({ port: 0, host: '127.0.0.1' });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await server?.exit();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 with Retry-After while PostgreSQL is down, never 401 or 500, and recovers by itself', async () => {
    if (!app) return; // against API_URL there is no server of ours to restart
    const http = request(app.getHttpServer());
    const auth = { Authorization: `Bearer ${adminKey}` };
    const body = (key: string, action = 'deploy') => ({ project_id: 'restart', idempotency_key: key, action, targets: ['t-1'] });
    const approver = (
      await http
        .post('/api/v1/api-keys')
        .set(auth)
        .send({ name: 'approver', roles: ['approver'], project_ids: ['*'], service_approver: true })
    ).body.key as string;
    // The run is requested by a principal of its own: the admin that made the approver may not ask it to approve.
    const requester = {
      Authorization: `Bearer ${
        (
          await http
            .post('/api/v1/api-keys')
            .set(auth)
            .send({ name: 'requester', roles: ['requester'], project_ids: ['*'] })
        ).body.key as string
      }`,
    };
    const created = (await http.post('/api/v1/execution/run').set(requester).send(body('followed'))).body as {
      execution_id: string;
      plan_hash: string;
    };
    const followed = created.execution_id;

    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const stream = readServerSentEvents(
      `${base}/api/v1/execution/run/${followed}/stream`,
      { authorization: `Bearer ${adminKey}` },
      (events) => events.some((event) => event.event === 'run.status_changed'),
    );
    await stream.connected;

    // Load: creates and reads, all the way through the outage.
    const statuses: Array<{ status: number; code?: string; retryAfter?: string }> = [];
    let loading = true;
    const load = (async () => {
      for (let index = 0; loading; index++) {
        const response =
          index % 2
            ? await http
                .post('/api/v1/execution/run')
                .set(auth)
                .send(body(`load-${index}`))
            : await http.get(`/api/v1/execution/run/${followed}`).set(auth);
        statuses.push({ status: response.status, code: response.body?.error?.code, retryAfter: response.headers['retry-after'] });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    await server?.stop();
    const down = await http.get('/health/ready');
    expect(down.status).toBe(503);
    const whileDown = await http.get(`/api/v1/execution/run/${followed}`).set(auth);
    expect([whileDown.status, whileDown.body.error.code, whileDown.headers['retry-after']]).toEqual([503, 'database_unavailable', '2']);
    await server?.start();
    for (let ready = false; !ready;) ready = (await http.get('/health/ready')).status === 200;
    loading = false;
    await load;

    const refused = statuses.filter((entry) => entry.status >= 400);
    expect(refused.length).toBeGreaterThan(0);
    expect(statuses.filter((entry) => entry.status === 401 || (entry.status >= 500 && entry.status !== 503))).toEqual([]);
    expect(refused.every((entry) => entry.status === 503 && entry.code === 'database_unavailable' && entry.retryAfter === '2')).toBe(true);

    // The open stream still follows its run: the approval's events arrive, none missing.
    expect(
      (
        await http
          .post(`/approvals/${followed}/approve`)
          .set({ Authorization: `Bearer ${approver}` })
          .send({ plan_hash: created.plan_hash })
      ).status,
    ).toBe(200);
    const events = await stream.events;
    const trail = (await http.get(`/api/v1/execution/run/${followed}/events`).set(auth)).body.events as Array<{ id: string; type: string }>;
    // Events arrive in chunks, so the stream may hold a few past the one it waited for: it must be
    // the trail's prefix of its own length, and reach the status change.
    expect(events.map((event) => event.id)).toEqual(trail.slice(0, events.length).map((event) => event.id));
    expect(events.map((event) => event.event)).toContain('run.status_changed');

    // The worker's LISTEN came back: an approved run is taken at once (its poll is a minute away).
    const queued = await http.post('/api/v1/execution/run').set(auth).send(body('after-restart', 'ops.noop'));
    expect(queued.status).toBe(201);
    await waitForRun({
      url: databaseUrl,
      runId: queued.body.execution_id,
      probe: async () =>
        (await http.get(`/api/v1/execution/run/${queued.body.execution_id}`).set(auth)).body.status === 'SUCCEEDED' ? true : undefined,
      what: 'the run after the restart to succeed',
      timeoutMs: 30_000,
    }).catch(async (error: Error) => {
      const run = (await http.get(`/api/v1/execution/run/${queued.body.execution_id}`).set(auth)).body;
      const first = (await http.get(`/api/v1/execution/run/${followed}`).set(auth)).body;
      throw new Error(
        `${error.message}: ${JSON.stringify({ status: run.status, approval: run.approval?.status, followed: first.status, fexec: first.execution })}`,
      );
    });
  }, 120_000);
});
