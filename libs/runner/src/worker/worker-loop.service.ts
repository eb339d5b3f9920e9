import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SerialTrigger } from '@lib/common';
import { AppConfig, WorkerSettings } from '@lib/config';
import { PgListener } from '@lib/database';
import { ReaperService } from '@lib/execution';
import { ApprovalClosureService } from '@lib/approval';
import { RunExecutorService, StartedRun } from './run-executor.service';

/**
 * The worker: up to `concurrency` runs at once. It claims when woken by NOTIFY
 * (execution_runs_ready, sent by a trigger when a run becomes claimable) or by the fallback
 * poll, and reaps dead holders' runs on every tick. Several workers may share one database. No
 * error of a claim, a run, a reap or the LISTEN connection stops the loop: each is logged where
 * it happens.
 */
@Injectable()
export class WorkerLoopService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerLoopService.name);
  readonly settings: WorkerSettings;
  private listener: PgListener | undefined;
  private poller: NodeJS.Timeout | undefined;
  private active = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly trigger = new SerialTrigger(
    () => this.fill(),
    (error: unknown) => this.logger.error({ err: error }, 'claiming failed'),
  );

  constructor(
    private readonly config: AppConfig,
    private readonly executor: RunExecutorService,
    private readonly reaper: ReaperService,
    private readonly closure: ApprovalClosureService,
  ) {
    this.settings = config.worker;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Woken by NOTIFY; when the connection drops it comes back by itself (and the poll covers the gap).
    this.listener = new PgListener({
      url: this.config.databaseUrl as string,
      channel: 'execution_runs_ready',
      name: 'control-plane-worker-listen',
      onNotification: () => this.wake(),
      onReconnect: () => this.wake(),
    });
    await this.listener.ready();
    this.poller = setInterval(() => this.tick(), this.settings.pollMs);
    this.logger.log({ worker_id: this.settings.workerId, concurrency: this.settings.concurrency }, 'worker started');
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.trigger.stop();
    clearInterval(this.poller);
    await this.listener?.stop();
    await Promise.allSettled([...this.active]);
  }

  private tick(): void {
    this.reaper
      .reap(
        {
          limit: 50,
          graceMs: this.settings.abortGraceMs,
          backoffBaseMs: this.settings.backoffBaseMs,
          reaperId: this.settings.workerId,
        },
        (run, ctx) => this.closure.closeForEndedRun(run, ctx),
      )
      .catch((error: unknown) => this.logger.error({ err: error }, 'reaping failed'));
    this.wake();
  }

  /**
   * Claims until the slots are full or nothing is claimable; on the next turn of the event loop,
   * so runs that ended together have all freed their slots and one claim fills them all.
   */
  private wake(): void {
    this.trigger.fire();
  }

  /** Claims as many runs as there are free slots, in one transaction, while the queue has more. */
  private async fill(): Promise<void> {
    while (!this.stopped && this.active.size < this.settings.concurrency) {
      let batch;
      try {
        batch = await this.executor.claimAndStart(this.settings, { limit: this.settings.concurrency - this.active.size });
      } catch (error) {
        this.logger.error({ err: error }, 'claiming failed');
        return;
      }
      for (const started of batch.started) this.carryOut(started);
      // A run that waits for a target is offered again when its wait is over, not at the next poll.
      if (batch.retryInMs !== null) setTimeout(() => this.wake(), batch.retryInMs).unref();
      if (!batch.more) return;
    }
  }

  private carryOut(started: StartedRun): void {
    const work = this.executor
      .carryOut(started, this.settings)
      .catch((error: unknown) =>
        this.logger.error({ err: error, execution_id: started.run.id }, 'a run failed in the worker; the reaper will recover it'),
      )
      .finally(() => {
        this.active.delete(work);
        this.wake();
      });
    this.active.add(work);
  }
}
