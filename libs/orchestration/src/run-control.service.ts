import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { Principal } from '@lib/governance';
import { DlqEntryRow, DlqService, RunCancelService } from '@lib/execution';
import { RunView, RunViewService } from '@lib/approval';

/** Operator commands on a run's execution: cancel it, re-drive it from the dead-letter table. */
@Injectable()
export class RunControlService {
  constructor(
    private readonly cancellation: RunCancelService,
    private readonly deadLetters: DlqService,
    private readonly views: RunViewService,
  ) {}

  async cancel(principal: Principal, input: { executionId: string; reason: string }, ctx: CommandContext): Promise<RunView> {
    return this.views.of(await this.cancellation.cancel(principal, input, ctx));
  }

  /** The run comes back as it now is, without its approval (a re-drive does not touch it). */
  async redrive(principal: Principal, dlqId: string, ctx: CommandContext): Promise<{ entry: DlqEntryRow; view: RunView }> {
    const { entry, run } = await this.deadLetters.retry(principal, dlqId, ctx);
    return { entry, view: { run, approval: null } };
  }
}
