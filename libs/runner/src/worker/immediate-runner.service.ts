import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { ExecutionRunRow, ImmediateRunner } from '@lib/execution';
import { RunExecutorService } from './run-executor.service';
import { RunQueueService } from './run-queue.service';
import { readWorkerSettings, WorkerSettings } from './worker-settings';

/** Immediate mode's cap: the create request answers within about this long. */
const IMMEDIATE_CAP_SECONDS = 10;

/**
 * Carries out an immediate action inside its create request, through the same claim, lease,
 * steps and audit trail as a worker, with the run's timeout capped at 10 s. If the run cannot be
 * claimed now (a target is locked), it stays queued for the background workers.
 */
@Injectable()
export class ImmediateRunnerService implements ImmediateRunner {
  private readonly settings: WorkerSettings = { ...readWorkerSettings(), workerId: `api:${process.pid}`, projectPattern: '%' };

  constructor(
    private readonly queue: RunQueueService,
    private readonly executor: RunExecutorService,
    // Not ExecutionRunService: it depends on this port, and that would be a cycle.
    private readonly uow: UnitOfWork,
  ) {}

  async run(run: ExecutionRunRow): Promise<ExecutionRunRow> {
    const claim = await this.queue.claim({ ...this.settings, runId: run.id });
    if (claim.kind !== 'claimed') return this.reread(run.id);
    return (await this.executor.execute(claim.run, this.settings, { timeoutCapSeconds: IMMEDIATE_CAP_SECONDS })) ?? this.reread(run.id);
  }

  private async reread(executionRunId: string): Promise<ExecutionRunRow> {
    const [row] = await this.uow.query<ExecutionRunRow>(`SELECT * FROM execution_runs WHERE id = $1`, [executionRunId]);
    return row;
  }
}
