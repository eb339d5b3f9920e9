import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { Principal } from '@lib/governance';
import { DlqEntryRow, DlqService, RunCancelService } from '@lib/execution';
import { ApprovalClosureService, RunView, RunViewService } from '@lib/approval';
import { UnitOfWork } from '@lib/database';

/** Operator commands on a run's execution: cancel it, re-drive it from the dead-letter table. */
@Injectable()
export class RunControlService {
  constructor(
    private readonly cancellation: RunCancelService,
    private readonly deadLetters: DlqService,
    private readonly views: RunViewService,
    private readonly closure: ApprovalClosureService,
    private readonly uow: UnitOfWork,
  ) {}

  /** A run cancelled before it started takes its approval with it, in the same transaction. */
  async cancel(principal: Principal, input: { executionId: string; reason: string }, ctx: CommandContext): Promise<RunView> {
    const run = await this.uow.run(async () => {
      const cancelled = await this.cancellation.cancel(principal, input, ctx);
      await this.closure.closeForEndedRun(cancelled, ctx);
      return cancelled;
    });
    return this.views.of(run);
  }

  /** The run comes back as it now is, without its approval (a re-drive does not touch it). */
  async redrive(principal: Principal, dlqId: string, ctx: CommandContext): Promise<{ entry: DlqEntryRow; view: RunView }> {
    const { entry, run } = await this.deadLetters.retry(principal, dlqId, ctx);
    return { entry, view: { run, approval: null } };
  }
}
