import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditQueryService, LIFECYCLE_EVENTS } from '@lib/audit';
import { UnitOfWork } from '@lib/database';
import { ExecutionStatisticsService, RunStatus } from '@lib/execution';
import { ApprovalInboxService } from '@lib/approval';
import { AccessService, Permission, Principal } from '@lib/identity';
import { MetricsService } from '@lib/telemetry';

/** A scrape's reads are cancelled after this long (the whole scrape stays well under a scraper's timeout). */
const SCRAPE_STATEMENT_TIMEOUT_MS = 2000;
const APPROVAL_LEVELS = ['0', '1', '2', '3'];
/** "Near expiry" for the gauge and the alert on it: a lane an approver should look at now. */
export const EXPIRING_SOON_SECONDS = 15 * 60;

/**
 * The API's scrape: the gauges read from PostgreSQL (runs by status, the queue, pending
 * approvals by level, open dead letters, the approval lifecycle counters), each through the
 * service of the lib that owns the table, in one read-only transaction under a statement
 * timeout; then the registry, with this process's own instruments. The lifecycle series come
 * from the same method as GET /api/v1/governance/metrics, so the two never disagree.
 */
@Injectable()
export class MetricsScrapeService implements OnModuleInit {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessService,
    private readonly metrics: MetricsService,
    private readonly execution: ExecutionStatisticsService,
    private readonly inbox: ApprovalInboxService,
    private readonly audit: AuditQueryService,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape(() => this.readGauges());
  }

  /** The exposition text; the figures span every project, so the key must be scoped to `*`. */
  async render(principal: Principal): Promise<string> {
    this.access.assertEverywhere(principal, Permission.MetricsRead, 'the metrics span every project; they need a key scoped to *');
    return this.metrics.render();
  }

  get contentType(): string {
    return this.metrics.contentType;
  }

  private async readGauges(): Promise<void> {
    const facts = await this.uow.readBounded(SCRAPE_STATEMENT_TIMEOUT_MS, async () => ({
      runs: await this.execution.runsByStatus(),
      queue: await this.execution.queue(),
      deadLetters: await this.execution.openDeadLetters(),
      pending: await this.inbox.pendingByLevel(),
      expiringSoon: await this.inbox.pendingExpiringWithin(EXPIRING_SOON_SECONDS),
      lifecycle: await this.audit.lifecycleCounters(),
    }));
    MetricsService.setAll(this.metrics.runs, 'status', Object.values(RunStatus), facts.runs);
    this.metrics.queueDepth.set(facts.queue.depth);
    this.metrics.queueOldestSeconds.set(facts.queue.oldestSeconds);
    this.metrics.dlqSize.set(facts.deadLetters);
    MetricsService.setAll(this.metrics.approvalsPending, 'level', APPROVAL_LEVELS, facts.pending);
    this.metrics.approvalsExpiringSoon.set(facts.expiringSoon);
    MetricsService.setAll(
      this.metrics.approvalLifecycleEvents,
      'event',
      Object.keys(LIFECYCLE_EVENTS),
      new Map(Object.entries(facts.lifecycle)),
    );
  }
}
