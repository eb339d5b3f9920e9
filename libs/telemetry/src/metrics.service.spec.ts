import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { MetricsHttpServer } from './metrics-http-server';
import { MetricsService, UNMATCHED_ROUTE } from './metrics.service';

describe('MetricsService', () => {
  it('labels a request by its route template, and a request no route matched as unmatched', async () => {
    const metrics = new MetricsService();
    metrics.observeHttpRequest({ method: 'GET', route: '/api/v1/execution/run/:execution_id', status: 200, seconds: 0.01 });
    metrics.observeHttpRequest({ method: 'GET', route: undefined, status: 404, seconds: 0.001 });
    const text = await metrics.render();
    expect(text).toContain(
      'control_plane_http_request_duration_seconds_count{method="GET",route="/api/v1/execution/run/:execution_id",status="200"} 1',
    );
    expect(text).toContain(`control_plane_http_request_duration_seconds_count{method="GET",route="${UNMATCHED_ROUTE}",status="404"} 1`);
  });

  it('keeps a registry of its own: two services never share a series', async () => {
    const one = new MetricsService();
    const two = new MetricsService();
    one.recordWebhookDelivery('dead');
    expect(await one.render()).toContain('control_plane_webhook_deliveries_total{outcome="dead"} 1');
    expect(await two.render()).not.toContain('control_plane_webhook_deliveries_total{outcome="dead"}');
  });

  it('sets every known label value, 0 when absent, and drops what the last scrape had', async () => {
    const metrics = new MetricsService();
    MetricsService.setAll(metrics.approvalsPending, 'level', ['0', '1'], new Map([['7', 3]]));
    MetricsService.setAll(metrics.approvalsPending, 'level', ['0', '1'], new Map([['1', 2]]));
    const text = await metrics.render();
    expect(text).toContain('control_plane_approvals_pending{level="0"} 0');
    expect(text).toContain('control_plane_approvals_pending{level="1"} 2');
    expect(text).not.toContain('level="7"');
  });

  it('runs the scrape collectors first, and fails the scrape when one fails', async () => {
    const metrics = new MetricsService();
    metrics.onScrape(() => metrics.queueDepth.set(5));
    expect(await metrics.render()).toContain('control_plane_queue_depth 5');
    metrics.onScrape(() => Promise.reject(new Error('database down')));
    await expect(metrics.render()).rejects.toThrow('database down');
  });

  it('counts only positive batches, and never a negative duration', async () => {
    const metrics = new MetricsService();
    metrics.recordExpiries('sweeper', 0);
    metrics.recordReaps('lease_expired', 2);
    metrics.observeClaimLatency(-1);
    const text = await metrics.render();
    expect(text).not.toContain('control_plane_approval_expiries_total{');
    expect(text).toContain('control_plane_lease_reaps_total{reason="lease_expired"} 2');
    expect(text).toContain('control_plane_claim_latency_seconds_bucket{le="0.005"} 1');
  });
});

describe('MetricsHttpServer', () => {
  it('answers GET /metrics, 404 elsewhere, 500 when the render fails, and reports instead of throwing', async () => {
    const errors: unknown[] = [];
    let fail = false;
    const server = new MetricsHttpServer(
      { contentType: 'text/plain; version=0.0.4', render: () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve('x 1\n')) },
      { onError: (error) => errors.push(error) },
    );
    const port = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect([ok.status, ok.headers.get('content-type'), await ok.text()]).toEqual([200, 'text/plain; version=0.0.4', 'x 1\n']);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
      fail = true;
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(500);
      expect(errors).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('answers GET /health/live with 200 while the process runs, even when the registry cannot render (a healthcheck)', async () => {
    const server = new MetricsHttpServer(
      { contentType: 'text/plain', render: () => Promise.reject(new Error('database down')) },
      { onError: () => undefined },
    );
    const port = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const live = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect([live.status, live.headers.get('content-type'), await live.json()]).toEqual([200, 'application/json', { status: 'ok' }]);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`, { method: 'HEAD' })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('a port already taken is reported, not thrown', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const errors: unknown[] = [];
    const server = new MetricsHttpServer(
      { contentType: 'text/plain', render: () => Promise.resolve('') },
      { onError: (error) => errors.push(error) },
    );
    try {
      expect(await server.listen({ port: (taken.address() as AddressInfo).port, host: '127.0.0.1' })).toBeNull();
      expect(errors).toHaveLength(1);
      await server.close();
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
