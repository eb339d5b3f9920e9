import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@lib/config';
import { ApprovalInboxService } from '@lib/approval';
import { dropDatabase, ensureDatabase, runMigrations, UnitOfWork, withDatabase } from '@lib/database';
import { SCHEMA } from '@migrations';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { SPEC } from '../support/openapi-validator';
import { waitForRun } from '../support/run-events';
import { testWorker } from '../support/worker-process';

/** The value of one series in an exposition text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((pair) => present.includes(pair)) && present.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

/**
 * GET /metrics on an API of its own, on a database of its own (the gauges count every project,
 * and the other specs share the suite's database), and a worker process's metrics endpoint.
 */
describe('Prometheus metrics', () => {
  const adminKey = `metrics-admin-${randomBytes(12).toString('hex')}`;
  const database = `cp_metrics_${randomBytes(4).toString('hex')}`;
  const project = `metrics-${randomBytes(3).toString('hex')}`;
  let serverUrl = '';
  let url = '';
  let app: NestFastifyApplication | undefined;
  let http: ReturnType<typeof request>;
  const keys: Record<'requester' | 'approver' | 'monitor' | 'scopedMonitor', string> = {
    requester: '',
    approver: '',
    monitor: '',
    scopedMonitor: '',
  };
  const runs: Record<'queued' | 'rejected' | 'pending1' | 'pending2', string> = { queued: '', rejected: '', pending1: '', pending2: '' };

  /** Every answer is one the spec allows. */
  const checked = async (method: 'get' | 'post', path: string, key?: string, body?: object): Promise<request.Response> => {
    let call = method === 'get' ? http.get(path) : http.post(path).send(body ?? {});
    if (key) call = call.set('Authorization', `Bearer ${key}`);
    const response = await call;
    SPEC.check({
      method,
      url: path,
      status: response.status,
      contentType: response.headers['content-type'],
      body: response.body,
      text: response.text,
    });
    return response;
  };
  const mint = async (roles: string[], projectIds: string[] = ['*']): Promise<string> => {
    const response = await checked('post', '/api/v1/api-keys', adminKey, {
      name: `m-${randomBytes(3).toString('hex')}`,
      roles,
      project_ids: projectIds,
      ...(roles.includes('approver') ? { service_approver: true } : {}),
    });
    expect(response.status).toBe(201);
    return response.body.key as string;
  };
  const create = async (key: string, action: string): Promise<string> => {
    const response = await checked('post', '/api/v1/execution/run', keys.requester, {
      project_id: project,
      idempotency_key: key,
      action,
      params: action === 'ops.sleep' ? { ms: 0 } : { image: 'web:1' },
      targets: ['t-1'],
    });
    expect(response.status).toBe(201);
    return response.body.execution_id as string;
  };
  const scrape = async (key = keys.monitor): Promise<string> => {
    const response = await checked('get', '/metrics', key);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text;
  };

  beforeAll(async () => {
    if (process.env.API_URL) return; // against a running server the counts would be that server's
    url = process.env.DATABASE_URL as string;
    serverUrl = withDatabase(url, 'postgres');
    await ensureDatabase(serverUrl, database);
    url = withDatabase(url, database);
    await runMigrations(url, SCHEMA);
    const config = loadConfig({ ...process.env, DATABASE_URL: url, BOOTSTRAP_ADMIN_KEY: adminKey, WORKER_IN_PROCESS: 'false' });
    app = await createApiApp({ logger: false, config });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    http = request(app.getHttpServer());

    keys.requester = await mint(['requester']);
    keys.approver = await mint(['approver']);
    keys.monitor = await mint(['monitor']);
    keys.scopedMonitor = await mint(['monitor'], [project]);
    runs.queued = await create('queued', 'ops.sleep');
    runs.rejected = await create('rejected', 'ops.sleep');
    runs.pending1 = await create('pending-1', 'ops.sleep');
    runs.pending2 = await create('pending-2', 'deploy');
    expect((await checked('post', `/approvals/${runs.queued}/approve`, keys.approver, { reason: 'ok' })).status).toBe(200);
    expect((await checked('post', `/approvals/${runs.rejected}/reject`, keys.approver, { reason: 'no' })).status).toBe(200);
  }, 60_000);
  afterEach(() => {
    expect(SPEC.violations.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await app?.close();
    if (serverUrl) await dropDatabase(serverUrl, database);
  }, 60_000);

  it('is closed: 401 without a credential, 403 without metrics:read or without every project', async () => {
    if (!app) return;
    expect((await checked('get', '/metrics')).status).toBe(401);
    const requester = await checked('get', '/metrics', keys.requester);
    expect(requester.status).toBe(403);
    expect(requester.body.error.code).toBe('forbidden');
    expect((await checked('get', '/metrics', keys.scopedMonitor)).status).toBe(403);
    expect((await checked('get', '/metrics', keys.approver)).status).toBe(403);
  });

  it('counts the runs, the queue and the pending approvals that are in the database', async () => {
    if (!app) return;
    const text = await scrape();
    expect(sample(text, 'control_plane_runs', { status: 'BLOCKED' })).toBe(2);
    expect(sample(text, 'control_plane_runs', { status: 'RUN' })).toBe(1);
    expect(sample(text, 'control_plane_runs', { status: 'REJECTED' })).toBe(1);
    expect(sample(text, 'control_plane_runs', { status: 'SUCCEEDED' })).toBe(0);
    expect(sample(text, 'control_plane_queue_depth')).toBe(1);
    expect(sample(text, 'control_plane_queue_oldest_claimable_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'control_plane_approvals_pending', { level: '1' })).toBe(1);
    expect(sample(text, 'control_plane_approvals_pending', { level: '2' })).toBe(1);
    expect(sample(text, 'control_plane_approvals_pending', { level: '3' })).toBe(0);
    expect(sample(text, 'control_plane_dlq_size')).toBe(0);
    expect(sample(text, 'control_plane_approval_decision_seconds_count', { level: '1', decision: 'approved' })).toBe(1);
    expect(sample(text, 'control_plane_approval_decision_seconds_count', { level: '1', decision: 'rejected' })).toBe(1);
    expect(sample(text, 'control_plane_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    // The standard process and Node.js metrics, under their standard names (no prefix).
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect([name, sample(text, name)]).toEqual([name, expect.any(Number)]);
    }
    expect(text).not.toContain('control_plane_process_');
    expect(sample(text, 'control_plane_db_pool_max_connections')).toBe(10);
    // Near expiry means within 15 minutes: these lanes have an hour (ops.sleep) and a day (deploy).
    expect(sample(text, 'control_plane_approvals_expiring_soon')).toBe(0);
    const expiringWithin = (seconds: number) =>
      (app as NestFastifyApplication)
        .get(UnitOfWork)
        .run(() => (app as NestFastifyApplication).get(ApprovalInboxService).pendingExpiringWithin(seconds));
    expect(await expiringWithin(2 * 3600)).toBe(1);
    expect(await expiringWithin(2 * 86_400)).toBe(2);
    expect(text).toContain('# TYPE control_plane_webhook_deliveries_total counter');

    // Read again at the next scrape: approving the pending level-1 run queues it too.
    expect((await checked('post', `/approvals/${runs.pending1}/approve`, keys.approver, { reason: 'ok' })).status).toBe(200);
    const after = await scrape();
    expect(sample(after, 'control_plane_queue_depth')).toBe(2);
    expect(sample(after, 'control_plane_runs', { status: 'BLOCKED' })).toBe(1);
    expect(sample(after, 'control_plane_approvals_pending', { level: '1' })).toBe(0);
  });

  it('times requests by route template, never by raw URL, and an unmatched path as "unmatched"', async () => {
    if (!app) return;
    expect((await checked('get', `/api/v1/execution/run/${runs.pending2}`, keys.requester)).status).toBe(200);
    expect((await http.get('/no/such/route').set('Authorization', `Bearer ${keys.requester}`)).status).toBe(404);
    const text = await scrape(adminKey);
    expect(
      sample(text, 'control_plane_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/execution/run/:execution_id',
        status: '200',
      }),
    ).toBe(1);
    expect(sample(text, 'control_plane_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(text, 'control_plane_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '401' })).toBe(1);
    expect(text).not.toContain(runs.pending2);
    expect(text).not.toContain('/no/such/route');
  });

  it('serves the approval counters of GET /api/v1/governance/metrics from the same source', async () => {
    if (!app) return;
    const counters = await checked('get', '/api/v1/governance/metrics', adminKey);
    expect(counters.status).toBe(200);
    expect(counters.body).toMatchObject({ requested: 4, approved: 2, rejected: 1, expired: 0 });
    const text = await scrape();
    for (const [event, value] of Object.entries(counters.body as Record<string, number>)) {
      expect([event, sample(text, 'control_plane_approval_lifecycle_events', { event })]).toEqual([event, value]);
    }
  });

  it('a worker process serves its own metrics: the claim latency of the runs it carried out, its pool, no database gauges', async () => {
    if (!app) return;
    const worker = testWorker({
      id: `metrics-${randomBytes(3).toString('hex')}`,
      projects: project,
      env: { DATABASE_URL: url, WORKER_METRICS_PORT: '0', HOST: '127.0.0.1' },
    });
    try {
      await worker.ready();
      const port = Number(/metrics listening on port (\d+)/.exec(worker.output.join(''))?.[1]);
      expect(port).toBeGreaterThan(0);
      for (const id of [runs.queued, runs.pending1]) {
        await waitForRun({
          url,
          runId: id,
          what: `${id} to succeed`,
          probe: async () => (await checked('get', `/api/v1/execution/run/${id}`, keys.requester)).body.status === 'SUCCEEDED',
        });
      }
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(sample(text, 'control_plane_claim_latency_seconds_count')).toBe(2);
      expect(sample(text, 'control_plane_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'control_plane_runs', { status: 'RUN' })).toBeUndefined(); // the database gauges are the API's
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200); // the compose worker's healthcheck
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      expect(sample(await scrape(), 'control_plane_queue_depth')).toBe(0);
    } finally {
      await worker.stop();
    }
  });
});
