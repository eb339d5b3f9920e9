import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Glossary
 * - series: one metric with one set of label values. Labels name kinds (a route template, a
 *   status, an approval level), never an id, a key, a project or anything secret, so the number
 *   of series stays bounded.
 * - instrument: what the process itself counts or times (requests, claims, lease renewals).
 * - scrape gauge: a fact read from PostgreSQL when the registry is scraped (runs by status, the
 *   queue); the lib that owns the table reads it, and a layer above registers the reader here.
 */
export const METRIC_PREFIX = 'control_plane_';

/** Label value of a request that matched no route (its raw URL is never a label). */
export const UNMATCHED_ROUTE = 'unmatched';

export type WebhookDeliveryOutcome = 'delivered' | 'retry' | 'dead';
export type ReapReason = 'lease_expired' | 'deadline';
export type ExpiryPath = 'sweeper' | 'lazy';

/** Reads facts at scrape time and sets scrape gauges; an error fails the scrape (never a stale value). */
export type ScrapeCollector = () => Promise<void> | void;

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DECISION_BUCKETS = [1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600];

/**
 * The metrics of one process, on a registry of its own (never prom-client's global one, so two
 * applications in one process, as in the tests, never share or clash). Every name of ours starts
 * with `control_plane_`; beside them, the standard process_* and nodejs_* metrics.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly collectors: ScrapeCollector[] = [];

  readonly httpRequestDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly claimLatency = new Histogram({
    name: `${METRIC_PREFIX}claim_latency_seconds`,
    help: 'From a run becoming claimable (its approval committed, its backoff over) to its step starting, by the database clock',
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly leaseRenewals = new Counter({
    name: `${METRIC_PREFIX}lease_renewals_total`,
    help: 'Lease renewals by this process (heartbeats that renewed a held lease)',
    registers: [this.registry],
  });

  readonly leaseReaps = new Counter({
    name: `${METRIC_PREFIX}lease_reaps_total`,
    help: 'Runs taken back by this process from a worker that stopped answering: lease ran out, or past the hard deadline',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly approvalDecisionSeconds = new Histogram({
    name: `${METRIC_PREFIX}approval_decision_seconds`,
    help: 'From an approval lane opening to its decision, by approval level and decision (database clock)',
    labelNames: ['level', 'decision'] as const,
    buckets: DECISION_BUCKETS,
    registers: [this.registry],
  });

  readonly expiries = new Counter({
    name: `${METRIC_PREFIX}approval_expiries_total`,
    help: 'Approval lanes expired by this process: by the sweeper, or lazily by a read or decision that met an overdue lane',
    labelNames: ['via'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: `${METRIC_PREFIX}webhook_deliveries_total`,
    help: 'Webhook delivery attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  // Scrape gauges: set by the collectors registered with onScrape.
  readonly runs = new Gauge({
    name: `${METRIC_PREFIX}runs`,
    help: 'Runs by status (every project), read from PostgreSQL at scrape time',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: `${METRIC_PREFIX}queue_depth`,
    help: 'Runs claimable now (RUN and due), read from PostgreSQL at scrape time',
    registers: [this.registry],
  });

  readonly queueOldestSeconds = new Gauge({
    name: `${METRIC_PREFIX}queue_oldest_claimable_seconds`,
    help: 'How long the oldest claimable run has been claimable (0 when none is), by the database clock',
    registers: [this.registry],
  });

  readonly approvalsPending = new Gauge({
    name: `${METRIC_PREFIX}approvals_pending`,
    help: 'Pending approval lanes by approval level, read from PostgreSQL at scrape time',
    labelNames: ['level'] as const,
    registers: [this.registry],
  });

  readonly approvalsExpiringSoon = new Gauge({
    name: `${METRIC_PREFIX}approvals_expiring_soon`,
    help: 'Pending approval lanes that expire within 15 minutes (or are overdue, not yet swept), read from PostgreSQL at scrape time',
    registers: [this.registry],
  });

  readonly dlqSize = new Gauge({
    name: `${METRIC_PREFIX}dlq_size`,
    help: 'Dead-letter entries not re-driven, read from PostgreSQL at scrape time',
    registers: [this.registry],
  });

  readonly approvalLifecycleEvents = new Gauge({
    name: `${METRIC_PREFIX}approval_lifecycle_events`,
    help: 'Approval lifecycle events in the audit trail (the counters of GET /api/v1/governance/metrics), at scrape time',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly dbPoolConnections = new Gauge({
    name: `${METRIC_PREFIX}db_pool_connections`,
    help: "This process's PostgreSQL pool: total and idle connections, and requests waiting for one",
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly dbPoolMax = new Gauge({
    name: `${METRIC_PREFIX}db_pool_max_connections`,
    help: "The most connections this process's PostgreSQL pool opens (DB_POOL_SIZE)",
    registers: [this.registry],
  });

  constructor() {
    // prom-client's standard process and Node.js metrics under their standard names (no prefix:
    // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_eventloop_lag_seconds, …),
    // so that stock dashboards and alerts work. Ours all start with control_plane_, so none clash.
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition format's content type (text/plain; version=0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Runs `collector` before every scrape of this process's registry. */
  onScrape(collector: ScrapeCollector): void {
    this.collectors.push(collector);
  }

  /** Reads every scrape gauge, then renders the registry; fails when a collector fails. */
  async render(): Promise<string> {
    // One after the other: a scrape takes at most one pooled connection at a time.
    for (const collector of this.collectors) await collector();
    return this.registry.metrics();
  }

  observeHttpRequest(input: { method: string; route: string | undefined; status: number; seconds: number }): void {
    this.httpRequestDuration.observe(
      { method: input.method, route: input.route || UNMATCHED_ROUTE, status: String(input.status) },
      Math.max(0, input.seconds),
    );
  }

  observeClaimLatency(seconds: number): void {
    this.claimLatency.observe(Math.max(0, seconds));
  }

  recordLeaseRenewal(): void {
    this.leaseRenewals.inc();
  }

  recordReaps(reason: ReapReason, count: number): void {
    if (count > 0) this.leaseReaps.inc({ reason }, count);
  }

  observeApprovalDecision(input: { level: number; decision: 'approved' | 'rejected'; seconds: number }): void {
    this.approvalDecisionSeconds.observe({ level: String(input.level), decision: input.decision }, Math.max(0, input.seconds));
  }

  recordExpiries(via: ExpiryPath, count: number): void {
    if (count > 0) this.expiries.inc({ via }, count);
  }

  /** For libs/notifications: one delivery attempt's outcome. */
  recordWebhookDelivery(outcome: WebhookDeliveryOutcome): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /** Sets a labelled scrape gauge from counts, every known label value included (0 when absent), so no series goes stale. */
  static setAll<L extends string>(gauge: Gauge<L>, label: L, known: readonly string[], counts: ReadonlyMap<string, number>): void {
    gauge.reset();
    for (const value of new Set([...known, ...counts.keys()])) gauge.set({ [label]: value } as Record<L, string>, counts.get(value) ?? 0);
  }
}
