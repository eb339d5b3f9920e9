import { Logger } from '@nestjs/common';
import { ExecutionRunRepository } from '../repositories/execution-run.repository';
import { RunLockRepository } from '../repositories/run-lock.repository';

export type AbortReason = 'cancelled' | 'timeout' | 'lease_lost';

/**
 * Keeps a run's lease (and its target locks) alive while this worker carries it out, and is the
 * worker's ear for cancellation: each heartbeat renews the lease, adds the cancel checks the
 * handler made since the last one, and reads whether a cancel was requested; a cancel request's
 * NOTIFY makes it beat at once (checkNow). A lost lease or a cancel request aborts the run's
 * AbortController; so does the timeout, counted from the start (the deadline itself is the
 * database's, enforced by the reaper).
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
  private stopped = false;
  private readonly onStop: (() => void)[] = [];

  constructor(
    private readonly runs: ExecutionRunRepository,
    private readonly locks: RunLockRepository,
    private readonly input: { runId: string; workerId: string; leaseMs: number; heartbeatMs: number; timeoutMs: number | null },
    /** Told of every renewal that committed (the lease-renewal counter). */
    private readonly onRenewed: () => void = () => undefined,
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
    if (this.input.timeoutMs !== null) this.deadlineTimer = setTimeout(() => this.abort('timeout'), this.input.timeoutMs);
  }

  /** Reads the run now (a cancel request was announced), in line with the heartbeats. */
  checkNow(): void {
    if (this.stopped) return;
    this.beating = this.beating.then(() => this.beat());
  }

  /** A cancel request seen elsewhere (the row the run started with, a step's commit). */
  cancelled(by: string | null): void {
    this.cancelRequestedBy ??= by;
    this.abort('cancelled');
  }

  /** Called once the lease is let go. */
  whenStopped(callback: () => void): void {
    this.onStop.push(callback);
  }

  countCheck(): void {
    this.pendingChecks++;
  }

  abort(reason: AbortReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Stops the heartbeat and writes the last cancel-check count. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const callback of this.onStop.splice(0)) callback();
    clearInterval(this.timer);
    clearTimeout(this.deadlineTimer);
    await this.beating;
    if (this.pendingChecks > 0) await this.beat({ renew: false });
  }

  private async beat(options: { renew: boolean } = { renew: true }): Promise<void> {
    const checks = this.pendingChecks;
    this.pendingChecks = 0;
    try {
      const { runId, workerId, leaseMs } = this.input;
      const held = await this.runs.heartbeat({ id: runId, workerId, leaseMs, renew: options.renew, checks });
      if (!held) {
        this.abort('lease_lost');
        return;
      }
      if (options.renew) {
        this.onRenewed();
        await this.locks.renew({ runId, workerId, leaseMs });
      }
      if (held.cancel_requested_at) this.cancelled(held.cancel_requested_by);
    } catch (error) {
      // A missed heartbeat is not fatal: the lease outlives a few of them.
      this.pendingChecks += checks;
      this.logger.warn({ err: error, execution_id: this.input.runId }, 'heartbeat failed');
    }
  }
}
