import { Logger } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';

export type AbortReason = 'cancelled' | 'timeout' | 'lease_lost';

/**
 * Keeps a run's lease (and its target locks) alive while this worker carries it out, and is the
 * worker's ear for cancellation: each heartbeat renews the lease, adds the cancel checks the
 * handler made since the last one, and reads whether a cancel was requested. A lost lease or a
 * cancel request aborts the run's AbortController; so does the deadline.
 */
export class LeaseKeeper {
  private readonly logger = new Logger(LeaseKeeper.name);
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private pendingChecks = 0;
  /** Who asked for the cancellation, once a heartbeat has seen one. */
  cancelRequestedBy: string | null = null;
  private beating: Promise<void> = Promise.resolve();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly input: { runId: string; workerId: string; leaseMs: number; heartbeatMs: number; deadline: Date | null },
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get reason(): AbortReason | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as AbortReason) : undefined;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat());
    }, this.input.heartbeatMs);
    if (this.input.deadline) {
      const remaining = Math.max(0, this.input.deadline.getTime() - Date.now());
      this.deadlineTimer = setTimeout(() => this.abort('timeout'), remaining);
    }
  }

  countCheck(): void {
    this.pendingChecks++;
  }

  abort(reason: AbortReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Stops the heartbeat and writes the last cancel-check count. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.deadlineTimer);
    await this.beating;
    if (this.pendingChecks > 0) await this.beat({ renew: false });
  }

  private async beat(options: { renew: boolean } = { renew: true }): Promise<void> {
    const checks = this.pendingChecks;
    this.pendingChecks = 0;
    try {
      const rows = await this.uow.query<{ cancel_requested_at: Date | null; cancel_requested_by: string | null }>(
        `UPDATE execution_runs
         SET lease_expires_at = CASE WHEN $4 THEN now() + make_interval(secs => $3::double precision / 1000) ELSE lease_expires_at END,
             lease_renewals = lease_renewals + CASE WHEN $4 THEN 1 ELSE 0 END,
             cancel_checks_performed = cancel_checks_performed + $5
         WHERE id = $1 AND worker_id = $2 AND status IN ('CLAIMED', 'RUNNING')
         RETURNING cancel_requested_at, cancel_requested_by`,
        [this.input.runId, this.input.workerId, this.input.leaseMs, options.renew, checks],
      );
      if (rows.length === 0) {
        this.abort('lease_lost');
        return;
      }
      if (options.renew) {
        await this.uow.query(
          `UPDATE execution_locks SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000) WHERE execution_run_id = $1 AND worker_id = $2`,
          [this.input.runId, this.input.workerId, this.input.leaseMs],
        );
      }
      if (rows[0].cancel_requested_at) {
        this.cancelRequestedBy = rows[0].cancel_requested_by;
        this.abort('cancelled');
      }
    } catch (error) {
      // A missed heartbeat is not fatal: the lease outlives a few of them.
      this.pendingChecks += checks;
      this.logger.warn({ err: error, execution_id: this.input.runId }, 'heartbeat failed');
    }
  }
}
