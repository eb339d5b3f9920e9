import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { IdentityModule } from '@lib/identity';
import { PolicyModule } from '@lib/policy';
import { ExecutionModule } from '@lib/execution';
import { ApprovalModule } from '@lib/approval';
import { GrantsModule } from '@lib/grants';
import { RunnerModule } from '@lib/runner';
import { ApprovalsController } from './http/approvals.controller';
import { DlqController } from './http/dlq.controller';
import { ExecutionController } from './http/execution.controller';
import { PlanController } from './http/plan.controller';
import { RetentionController } from './http/retention.controller';
import { InboxController } from './http/inbox.controller';
import { RunSearchController } from './http/run-search.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsScrapeService } from './metrics/metrics-scrape.service';
import { RunControlService } from './run-control.service';
import { RunDecisionService } from './run-decision.service';
import { RunQueryService } from './run-query.service';
import { RunRequestService } from './run-request.service';

/**
 * Glossary
 * - command: one thing a caller asks of the control plane that spans several domain libs:
 *   request a run (policy, run, first approval lane, immediate execution), decide (vote, then
 *   the grant handler after commit), cancel, re-drive. The domain libs below never call each
 *   other upward; this layer composes them, and holds the run routes.
 * - scrape: GET /metrics; the gauges read from PostgreSQL are wired here, each read through the
 *   service of the lib that owns its table.
 */
@Module({
  imports: [AuditModule, IdentityModule, PolicyModule, ExecutionModule, ApprovalModule, GrantsModule, RunnerModule],
  controllers: [
    ExecutionController,
    RunSearchController,
    PlanController,
    ApprovalsController,
    InboxController,
    DlqController,
    RetentionController,
    MetricsController,
  ],
  providers: [RunRequestService, RunDecisionService, RunControlService, RunQueryService, MetricsScrapeService],
  exports: [RunRequestService, RunDecisionService, RunControlService, RunQueryService],
})
export class OrchestrationModule {}
