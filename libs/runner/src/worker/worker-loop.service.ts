import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, WorkerSettings } from '@lib/config';
import { ClaimLoop, pgConnectionOf } from '@lib/database';
import { ReaperService } from '@lib/execution';
import { ApprovalClosureService } from '@lib/approval';
import { PolicyService } from '@lib/policy';
import { RunExecutorService, StartedRun } from './run-executor.service';

/**
 * The worker: up to `concurrency` runs at once, on the claim loop it shares with the webhook
 * sender. It claims when woken by NOTIFY (execution_runs_ready, sent by a trigger when a run
 * becomes claimable), by the fallback poll, or by a run ending, and reaps dead holders' runs on
 * every poll. Several workers may share one database. No error of a claim, a run, a reap or the
 * LISTEN connection stops the loop: each is logged where it happens.
 */
@Injectable()
export class WorkerLoopService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerLoopService.name);
  readonly settings: WorkerSettings;
  private readonly loop: ClaimLoop;

  constructor(
    config: AppConfig,
    private readonly executor: RunExecutorService,
    private readonly reaper: ReaperService,
    private readonly closure: ApprovalClosureService,
    private readonly policy: PolicyService,
  ) {
    this.settings = config.worker;
    this.loop = new ClaimLoop({
      connection: pgConnectionOf(config),
      channel: 'execution_runs_ready',
      name: 'control-plane-worker-listen',
      pollMs: this.settings.pollMs,
      concurrency: this.settings.concurrency,
      awaitListener: true,
      claim: (limit) => this.claim(limit),
      onPoll: () => this.reap(),
      onError: (error) => this.logger.error({ err: error }, 'claiming failed'),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.loop.start();
    this.logger.log({ worker_id: this.settings.workerId, concurrency: this.settings.concurrency }, 'worker started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Claims as many runs as there are free slots, in one transaction; a run that waits for a target is offered again when its wait is over. */
  private async claim(limit: number): Promise<{ started: Array<Promise<unknown>>; more: boolean; retryInMs: number | null }> {
    // Remote actions wait for the user's workers (the worker protocol); every other run is this worker's.
    const batch = await this.executor.claimAndStart(this.settings, { limit, exceptActions: this.policy.remoteActions() });
    return { started: batch.started.map((started) => this.carryOut(started)), more: batch.more, retryInMs: batch.retryInMs };
  }

  private carryOut(started: StartedRun): Promise<unknown> {
    return this.executor
      .carryOut(started, this.settings)
      .catch((error: unknown) =>
        this.logger.error({ err: error, execution_id: started.run.id }, 'a run failed in the worker; the reaper will recover it'),
      );
  }

  private reap(): void {
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
  }
}
