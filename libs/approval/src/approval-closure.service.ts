import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditEventType, runEvent } from '@lib/audit';
import { ExecutionRunRow, ExecutionRunService, RunStatus } from '@lib/execution';
import { StateMachineErrorCode, StateMachineException, StatusMachineService } from '@lib/state-machine';
import { ApprovalRepository } from './approval.repository';
import { APPROVAL_AXIS, ApprovalStatus } from './approval-status';
import { ApprovalRow } from './approval.tables';

/** Run statuses after which the run's approval has nothing left to decide. */
export const ENDED_RUN_STATUSES: readonly RunStatus[] = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.TimedOut, RunStatus.Cancelled];

/**
 * Approvals reach their terminal states (seed 001): when a run ends, the lane it ran under (or
 * waited on) is closed with it: `executed` when the run succeeded, `execution_failed` when it
 * failed or timed out, `invalidated` when it was cancelled (and any lane that was still pending
 * or deferred). The commands that end a run call this in their transaction; the sweeper closes
 * any lane left behind (a process that died between the two), and a decision that meets one
 * closes it first.
 */
@Injectable()
export class ApprovalClosureService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly fsm: StatusMachineService,
    private readonly runs: ExecutionRunService,
    private readonly approvals: ApprovalRepository,
  ) {}

  /**
   * Closes the lane of a run that has ended; nothing for a run still waiting or running. The
   * caller holds the run's lock. `approvedLaneId`: the lane the run was claimed under, approved
   * then, closed without reading it first (when it changed meanwhile, it is read after all).
   */
  async closeForEndedRun(run: ExecutionRunRow, ctx: CommandContext, options: { approvedLaneId?: string | null } = {}): Promise<boolean> {
    const status = run.status as RunStatus;
    if (!ENDED_RUN_STATUSES.includes(status)) return false;
    if (options.approvedLaneId) {
      try {
        await this.close(run, { id: options.approvedLaneId, status: ApprovalStatus.Approved }, ctx);
        return true;
      } catch (error) {
        if (!(error instanceof StateMachineException && error.code === StateMachineErrorCode.TransitionConflict)) throw error;
      }
    }
    const lane = await this.approvals.unsettledLane(run.id);
    if (!lane) return false;
    await this.close(run, lane, ctx);
    return true;
  }

  /**
   * The lanes several ended runs were claimed under, still approved, closed in one statement per
   * outcome (executed, execution_failed, invalidated); a lane that changed meanwhile is read and
   * closed on its own. The caller holds every run's lock.
   */
  async closeManyForEndedRuns(
    ends: ReadonlyArray<{ run: ExecutionRunRow; approvedLaneId: string | null; ctx: CommandContext }>,
  ): Promise<void> {
    const known = ends.filter((end) => end.approvedLaneId && ENDED_RUN_STATUSES.includes(end.run.status as RunStatus));
    const unknown = ends.filter((end) => !known.includes(end));
    for (const to of [ApprovalStatus.Executed, ApprovalStatus.ExecutionFailed, ApprovalStatus.Invalidated]) {
      const group = known.filter((end) => closingOf(ApprovalStatus.Approved, end.run.status as RunStatus) === to);
      if (group.length === 0) continue;
      const { missed } = await this.fsm.transitionMany({
        axis: APPROVAL_AXIS,
        from: ApprovalStatus.Approved,
        to,
        rows: group.map(({ run, approvedLaneId, ctx }) => ({
          id: approvedLaneId as string,
          audit: runEvent(eventOf(to), run, ctx, { approval_id: approvedLaneId, was: ApprovalStatus.Approved, run_status: run.status }),
        })),
      });
      unknown.push(...group.filter((end) => missed.includes(end.approvedLaneId as string)));
    }
    for (const { run, ctx } of unknown) await this.closeForEndedRun(run, ctx);
  }

  private async close(
    run: ExecutionRunRow,
    lane: Pick<ApprovalRow, 'id' | 'status'> & { lane?: number },
    ctx: CommandContext,
  ): Promise<void> {
    const status = run.status as RunStatus;
    const from = lane.status as ApprovalStatus;
    const to = closingOf(from, status);
    await this.fsm.transition({
      axis: APPROVAL_AXIS,
      id: lane.id,
      from,
      to,
      // A lane nobody decided is closed by the system; a decided one keeps who decided it. A
      // deferral's `until` means nothing once the lane is closed (the approval.deferred event keeps it).
      set:
        from === ApprovalStatus.Pending
          ? { decided_by: SYSTEM_ACTOR.id, decided_at: DbTime.now() }
          : from === ApprovalStatus.Deferred
            ? { deferred_until: null }
            : {},
      audit: runEvent(eventOf(to), run, ctx, {
        approval_id: lane.id,
        ...(lane.lane === undefined ? {} : { lane: lane.lane }),
        was: from,
        run_status: status,
      }),
    });
  }

  /** The sweeper's catch-up: lanes of runs that ended without theirs being closed. Returns how many it closed. */
  async closeLeftBehind(limit: number, requestId = 'approval-closure-sweep'): Promise<number> {
    return this.uow.run(async () => {
      const ids = await this.approvals.endedRunsWithUnsettledLanes({ statuses: ENDED_RUN_STATUSES, limit });
      const runs = await this.runs.lockRuns(ids, { statuses: ENDED_RUN_STATUSES, skipLocked: true });
      let closed = 0;
      for (const run of runs) if (await this.closeForEndedRun(run, { actor: SYSTEM_ACTOR, requestId })) closed++;
      return closed;
    });
  }
}

/** How a lane closes with its run: executed when it ran under it and succeeded, execution_failed when it ran and did not, invalidated otherwise. */
function closingOf(from: ApprovalStatus, run: RunStatus): ApprovalStatus {
  if (from === ApprovalStatus.Approved && run === RunStatus.Succeeded) return ApprovalStatus.Executed;
  if (from === ApprovalStatus.Approved && run !== RunStatus.Cancelled) return ApprovalStatus.ExecutionFailed;
  return ApprovalStatus.Invalidated;
}

function eventOf(to: ApprovalStatus): AuditEventType {
  if (to === ApprovalStatus.Executed) return AuditEventType.ApprovalExecuted;
  if (to === ApprovalStatus.ExecutionFailed) return AuditEventType.ApprovalExecutionFailed;
  return AuditEventType.ApprovalInvalidated;
}
