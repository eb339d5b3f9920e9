import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsService } from '@lib/telemetry';

const ROOT = join(__dirname, '..', '..');
const METRIC_NAME = /\b(?:control_plane|process|nodejs)_[a-z0-9_]+\b/g;
/** The series a histogram and a summary expose beside their own name. */
const SUFFIXES = ['', '_bucket', '_count', '_sum'];

/** Every series name a process's registry can expose (the API's and a worker's are the same MetricsService). */
async function exposedNames(): Promise<Set<string>> {
  const metrics = new MetricsService();
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    for (const suffix of SUFFIXES) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

function namesIn(file: string, pick: (text: string) => string[]): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...new Set(pick(text).flatMap((expression) => expression.match(METRIC_NAME) ?? []))].sort();
}

/** The PromQL of every Grafana panel target. */
function dashboardExpressions(text: string): string[] {
  const dashboard = JSON.parse(text) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ query?: unknown }> };
  };
  return [
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
    ...dashboard.templating.list.map((variable) => (typeof variable.query === 'string' ? variable.query : '')),
  ];
}

/** The `expr:` of every rule (block scalars included: up to the next key of the rule). */
function ruleExpressions(text: string): string[] {
  return [...text.matchAll(/^\s+expr:([\s\S]*?)(?=^\s+(?:for|labels|annotations):)/gm)].map((match) => match[1]);
}

describe('the dashboard and the alert rules name metrics the code exposes', () => {
  it.each([
    ['ops/prometheus/alerts.yml', ruleExpressions],
    ['ops/grafana/control-plane.json', dashboardExpressions],
  ])('%s', async (file, pick) => {
    const exposed = await exposedNames();
    const used = namesIn(file, pick);
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('the rules cover queue age, dead letters, approvals near expiry, webhook failures, 5xx and the pool', () => {
    const used = namesIn('ops/prometheus/alerts.yml', ruleExpressions);
    expect(used).toEqual(
      expect.arrayContaining([
        'control_plane_queue_oldest_claimable_seconds',
        'control_plane_dlq_size',
        'control_plane_approvals_expiring_soon',
        'control_plane_webhook_deliveries_total',
        'control_plane_http_request_duration_seconds_count',
        'control_plane_db_pool_connections',
        'control_plane_db_pool_max_connections',
      ]),
    );
  });

  it('exposes the standard process and Node.js metrics without a prefix, and none of ours clashes with them', async () => {
    const exposed = await exposedNames();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect([name, exposed.has(name)]).toEqual([name, true]);
    }
    const metrics = new MetricsService();
    const ours = (await metrics.registry.getMetricsAsJSON())
      .map((metric) => metric.name)
      .filter((name) => !/^(process|nodejs)_/.test(name));
    expect(ours.filter((name) => !name.startsWith('control_plane_'))).toEqual([]);
  });
});
