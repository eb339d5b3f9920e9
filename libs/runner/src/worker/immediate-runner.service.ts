import { Injectable } from '@nestjs/common';
import { AppConfig, WorkerSettings } from '@lib/config';
import { ExecutionRunRow, ExecutionRunService } from '@lib/execution';
import { RunExecutorService } from './run-executor.service';

/** Immediate mode's cap: the create request answers within about this long. */
export const IMMEDIATE_CAP_SECONDS = 10;

/**
 * Carries out an immediate action inside its create request, through the same claim, lease,
 * steps and audit trail as a worker, with the run's timeout capped at 10 s. If the run cannot be
 * claimed now (a target is locked), it stays queued for the background workers.
 */
@Injectable()
export class ImmediateRunnerService {
  private readonly settings: WorkerSettings;

  constructor(
    config: AppConfig,
    private readonly executor: RunExecutorService,
    private readonly runs: ExecutionRunService,
  ) {
    this.settings = { ...config.worker, workerId: `api:${process.pid}`, projectPattern: '%' };
  }

  /** Runs the approved run now and returns it as it ended, or as it is if it could not start. */
  async run(run: ExecutionRunRow): Promise<ExecutionRunRow> {
    const batch = await this.executor.claimAndStart(this.settings, { limit: 1, runId: run.id, timeoutCapSeconds: IMMEDIATE_CAP_SECONDS });
    const [started] = batch.started;
    if (!started) return this.runs.getRunOrFail(run.id);
    return (await this.executor.carryOut(started, this.settings)) ?? this.runs.getRunOrFail(run.id);
  }
}
