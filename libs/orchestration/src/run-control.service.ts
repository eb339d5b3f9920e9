import { Injectable, Logger } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { AppConfig } from '@lib/config';
import { Principal } from '@lib/identity';
import { AuditFeedService, chainKeyOf } from '@lib/audit';
import {
  cancelTooLate,
  DlqEntryRow,
  DlqService,
  ExecutionRunRow,
  ExecutionRunService,
  RunCancelService,
  RunStatus,
  WAITING_RUN_STATUSES,
} from '@lib/execution';
import { ApprovalClosureService, RunView, RunViewService } from '@lib/approval';
import { UnitOfWork } from '@lib/database';

/** Where a cancel stands when its answer is given. */
export type CancelOutcome = { kind: 'cancelled'; view: RunView } | { kind: 'stopping'; view: RunView };

const IN_FLIGHT: readonly string[] = [RunStatus.Claimed, RunStatus.Running];

/** Operator commands on a run's execution: cancel it, re-drive it from the dead-letter table. */
@Injectable()
export class RunControlService {
  private readonly logger = new Logger(RunControlService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly cancellation: RunCancelService,
    private readonly deadLetters: DlqService,
    private readonly runs: ExecutionRunService,
    private readonly views: RunViewService,
    private readonly closure: ApprovalClosureService,
    private readonly feed: AuditFeedService,
    private readonly uow: UnitOfWork,
  ) {}

  /**
   * A run that has not started is cancelled at once, its approval with it (same transaction). For
   * a running one the answer waits, a bounded time (the worker's abort grace plus a second), for
   * the worker to stop it, so the caller learns how it ended: `cancelled`, or `stopping` when it
   * is still running (the request stands; the run will end CANCELLED), or 409 cancel_too_late when
   * it ended by its timeout first. A run that had already ended is 409 cancel_too_late at once.
   */
  async cancel(principal: Principal, input: { executionId: string; reason: string }, ctx: CommandContext): Promise<CancelOutcome> {
    const requested = await this.uow.run(async () => {
      const run = await this.cancellation.cancel(principal, input, ctx);
      await this.closure.closeForEndedRun(run, ctx);
      return run;
    });
    const run = IN_FLIGHT.includes(requested.status) ? await this.awaitEnd(requested) : requested;
    if (IN_FLIGHT.includes(run.status) || WAITING_RUN_STATUSES.includes(run.status as RunStatus)) {
      return { kind: 'stopping', view: await this.views.of(run) };
    }
    if (run.status !== RunStatus.Cancelled) throw cancelTooLate(run);
    return { kind: 'cancelled', view: await this.views.of(run) };
  }

  /** The run re-read as each of its events is committed, until it is no longer held by a worker or the wait is over. */
  private async awaitEnd(run: ExecutionRunRow): Promise<ExecutionRunRow> {
    const deadline = Date.now() + this.config.worker.abortGraceMs + 1000;
    let wake: () => void = () => undefined;
    let unsubscribe: () => void = () => undefined;
    try {
      unsubscribe = await this.feed.subscribe(chainKeyOf({ executionRunId: run.id }), () => wake());
    } catch (error) {
      // Without LISTEN the answer is where the run stands now; the cancel request itself is committed.
      this.logger.warn({ err: error, execution_id: run.id }, 'cannot follow the run; answering with where it stands');
    }
    try {
      let current = run;
      while (IN_FLIGHT.includes(current.status) && Date.now() < deadline) {
        const next = new Promise<void>((resolve) => (wake = resolve));
        current = await this.runs.getRunOrFail(run.id);
        if (!IN_FLIGHT.includes(current.status)) break;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([next, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
        clearTimeout(timer);
      }
      return IN_FLIGHT.includes(current.status) ? this.runs.getRunOrFail(run.id) : current;
    } finally {
      unsubscribe();
    }
  }

  /** The run comes back as it now is, without its approval (a re-drive does not touch it). */
  async redrive(principal: Principal, dlqId: string, ctx: CommandContext): Promise<{ entry: DlqEntryRow; view: RunView }> {
    const { entry, run } = await this.deadLetters.retry(principal, dlqId, ctx);
    return { entry, view: { run, approval: null } };
  }
}
