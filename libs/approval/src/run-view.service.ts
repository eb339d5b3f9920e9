import { Injectable } from '@nestjs/common';
import { ExecutionRunRow, ExecutionRunService, RunStatus, WAITING_RUN_STATUSES } from '@lib/execution';
import { ApprovalRepository } from './approval.repository';
import { OPEN_LANE_STATUSES, ApprovalStatus } from './approval-status';
import { RunView, summarizeLane } from './approval-summary';
import { ApprovalExpiryService } from './approval-expiry.service';

/**
 * A run with its current approval, as every run endpoint answers. A read that meets an overdue
 * open lane of a waiting run expires it first (the lazy guard, in its own transaction), then
 * reads again: nobody is ever shown an approval that has run out as if it still held.
 */
@Injectable()
export class RunViewService {
  constructor(
    private readonly runs: ExecutionRunService,
    private readonly approvals: ApprovalRepository,
    private readonly expiry: ApprovalExpiryService,
  ) {}

  /** The view of a run the caller already holds (no lazy expiry: the caller just wrote it). */
  async of(run: ExecutionRunRow): Promise<RunView> {
    const lane = await this.approvals.currentLaneWithVotes(run.id);
    return { run, approval: lane ? summarizeLane(lane, lane.votes) : null };
  }

  /** The view of a run just read (after the caller's access check), expiring an overdue lane first. */
  async fresh(run: ExecutionRunRow): Promise<RunView> {
    const lane = await this.approvals.currentLaneWithVotes(run.id);
    const overdue =
      lane !== null &&
      lane.lapsed &&
      OPEN_LANE_STATUSES.includes(lane.status as ApprovalStatus) &&
      WAITING_RUN_STATUSES.includes(run.status as RunStatus);
    if (overdue) {
      await this.expiry.expireIfOverdue(run.id);
      return this.of(await this.runs.getRunOrFail(run.id));
    }
    return { run, approval: lane ? summarizeLane(lane, lane.votes) : null };
  }
}
