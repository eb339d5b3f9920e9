import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SYSTEM_ACTOR } from '@lib/common';
import { AppConfig } from '@lib/config';
import { ApprovalClosureService, ApprovalDeferralService, ApprovalExpiryService } from '@lib/approval';
import { GrantReconcilerService, GrantService } from '@lib/grants';
import { MetricsService } from '@lib/telemetry';

const BATCH = 200;

/**
 * The worker's periodic duties: expire overdue approvals (batches, FOR UPDATE SKIP LOCKED, so
 * several workers share the work), reopen deferrals whose `until` has passed, expire overdue grants, and re-drive the grant handler for
 * approvals whose after-commit step did not run, and close the lanes of runs that ended. Each tick drains full batches before sleeping.
 */
@Injectable()
export class SweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SweeperService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly expiry: ApprovalExpiryService,
    private readonly deferrals: ApprovalDeferralService,
    private readonly closure: ApprovalClosureService,
    private readonly grants: GrantService,
    private readonly reconciler: GrantReconcilerService,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    const intervalMs = this.config.values.sweepIntervalMs;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.sweepOnce()
        .catch((error: unknown) => this.logger.error({ err: error }, 'sweep failed; retrying next tick'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
    this.logger.log(`sweeper started (every ${intervalMs} ms)`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass; returns what it did, for logs and tests. */
  async sweepOnce(): Promise<SweepReport> {
    let approvalsExpired = 0;
    for (let batch = BATCH; batch === BATCH && !this.stopped;) {
      batch = await this.expiry.sweep(BATCH);
      approvalsExpired += batch;
      this.metrics.recordExpiries('sweeper', batch);
    }
    const report: SweepReport = {
      approvalsExpired,
      deferralsReopened: await this.deferrals.reopenDue(BATCH),
      approvalsClosed: await this.closure.closeLeftBehind(BATCH),
      grantsExpired: await this.grants.expireOverdue({ limit: BATCH, ctx: { actor: SYSTEM_ACTOR, requestId: 'grant-expiry-sweep' } }),
      grantsReconciled: await this.reconciler.reconcile(BATCH),
    };
    if (Object.values(report).some((count) => count > 0)) this.logger.log(report, 'sweep');
    return report;
  }
}

/** What one pass did, for logs and tests. */
export interface SweepReport {
  readonly approvalsExpired: number;
  readonly deferralsReopened: number;
  /** Lanes of runs that ended without theirs being closed (see ApprovalClosureService). */
  readonly approvalsClosed: number;
  readonly grantsExpired: number;
  readonly grantsReconciled: number;
}
