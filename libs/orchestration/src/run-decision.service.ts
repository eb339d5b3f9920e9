import { Injectable, Logger } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { Principal } from '@lib/identity';
import { ApprovalVoteService, RunView, VoteInput } from '@lib/approval';
import { AuthorizeBuildStepHandler } from '@lib/grants';
import { MetricsService } from '@lib/telemetry';

/**
 * A vote, and what an approval sets off once it has committed: for an action that mints
 * build grants, the grant handler runs right after the commit (never inside it). If this process
 * dies in between, the worker's sweeper re-drives the handler; the handler is idempotent.
 */
@Injectable()
export class RunDecisionService {
  private readonly logger = new Logger(RunDecisionService.name);

  constructor(
    private readonly votes: ApprovalVoteService,
    private readonly grants: AuthorizeBuildStepHandler,
    private readonly metrics: MetricsService,
  ) {}

  async vote(principal: Principal, input: VoteInput, ctx: CommandContext): Promise<RunView> {
    const { view, approved, decided } = await this.votes.vote(principal, input, ctx);
    if (decided?.lane.decided_at) {
      // Both times are the database's: the lane's opening and its decision.
      this.metrics.observeApprovalDecision({
        level: decided.approvalLevel,
        decision: decided.lane.status === 'approved' ? 'approved' : 'rejected',
        seconds: (decided.lane.decided_at.getTime() - decided.lane.created_at.getTime()) / 1000,
      });
    }
    if (approved?.actionType.mintsGrant) {
      try {
        await this.grants.handle({ run: approved.run, approval: approved.lane, actionType: approved.actionType }, ctx.requestId);
      } catch (error) {
        this.logger.error(
          { err: error, execution_id: approved.run.id },
          'the grant handler failed after the approval; the worker will retry it',
        );
      }
    }
    return view;
  }
}
