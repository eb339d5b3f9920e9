import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@lib/config';
import { PgListener, pgConnectionOf } from '@lib/database';
import { LeaseKeeper } from './lease-keeper';

/**
 * Delivers a cancel request to the lease this process holds on the run, at the commit of the
 * request: a trigger sends NOTIFY execution_run_cancel with the run id, and the run's LeaseKeeper
 * reads its row at once (so the handler's AbortSignal fires within milliseconds, not at the next
 * heartbeat). When the LISTEN connection comes back after a drop, every held lease is checked,
 * since a request may have been sent while it was down; the heartbeat remains the fallback.
 */
@Injectable()
export class CancelWatchService implements OnApplicationShutdown {
  private readonly logger = new Logger(CancelWatchService.name);
  private readonly leases = new Map<string, LeaseKeeper>();
  private listener: PgListener | undefined;

  constructor(private readonly config: AppConfig) {}

  /**
   * Follows the run while its lease is held; returns the unfollow. Never throws: without LISTEN
   * the heartbeat still sees the cancel. The first run a process holds starts the connection, and
   * is checked once it listens (a request may have come in the meantime).
   */
  watch(runId: string, lease: LeaseKeeper): () => void {
    this.leases.set(runId, lease);
    const first = this.listener === undefined;
    this.connection()
      .ready()
      .then(
        () => {
          if (first) lease.checkNow();
        },
        (error: unknown) => this.logger.warn({ err: error, execution_id: runId }, 'cancel requests reach this run at its heartbeat'),
      );
    return () => {
      if (this.leases.get(runId) === lease) this.leases.delete(runId);
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
  }

  private connection(): PgListener {
    this.listener ??= new PgListener({
      connection: pgConnectionOf(this.config),
      channel: 'execution_run_cancel',
      name: 'control-plane-cancel-watch',
      onNotification: (runId) => this.leases.get(runId)?.checkNow(),
      onReconnect: () => {
        for (const lease of this.leases.values()) lease.checkNow();
      },
    });
    return this.listener;
  }
}
