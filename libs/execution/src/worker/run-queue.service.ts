import { Injectable } from '@nestjs/common';
import { Actor, CommandContext } from '@lib/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditRecordInput, AuditService, runEvent } from '@lib/audit';
import { ApiKeyService, Permission, RequesterStanding } from '@lib/identity';
import { PolicyService } from '@lib/policy';
import { StatusMachineService } from '@lib/state-machine';
import { ExecutionRunRow } from '../execution.tables';
import { ClaimCandidate, ExecutionRunRepository, QueueFilter } from '../repositories/execution-run.repository';
import { RunLockRepository } from '../repositories/run-lock.repository';
import { RUN_AXIS, RunStatus } from '../run-status';

export interface ClaimInput extends QueueFilter {
  readonly workerId: string;
  readonly leaseMs: number;
  readonly lockWaitMs: number;
  /** At most this many runs (the worker's free slots). */
  readonly limit: number;
  /** Claim this run only (immediate mode). */
  readonly runId?: string;
  /** Bounds the run's timeout further (immediate mode). */
  readonly timeoutCapSeconds?: number;
  /** Who claims, in the audit trail: a remote worker's principal (default: this worker process). */
  readonly actor?: Actor;
}

/**
 * A run now RUNNING under the worker's lease (attempt counted, deadline set, targets held), with
 * the approval it runs under and how long it had been claimable (database clock).
 */
export type ClaimedRun = ExecutionRunRow & { approval_id: string | null; claimable_seconds: number };

/** What a claim came to. */
export interface ClaimedBatch {
  readonly claimed: ClaimedRun[];
  /** When a run that waits for a target is offered again (null: none waits). */
  readonly retryInMs: number | null;
  /** As many runs were found as asked for: the queue may hold more. */
  readonly more: boolean;
}

/** When none is set: what a run may take before it is aborted. */
const DEFAULT_TIMEOUT_SECONDS = 300;
/** A run whose gate was closed when it came up (its approval ran out) is left to the sweeper this long. */
const CLOSED_GATE_RETRY_MS = 1000;
/** A run whose action or level is disabled waits in the queue; it is looked at again this often. */
const DISABLED_RETRY_MS = 5000;

/**
 * The queue is the execution_runs table. A claim locks a batch at the head of the queue
 * (SKIP LOCKED: workers never wait for each other), asks the approval gate about the rows it
 * holds, re-checks the requester's key (worker-side RBAC), takes a lease-bound lock on every
 * target of every run at once (a run whose target a live run holds waits, and is offered again
 * after lockWaitMs), and moves the rest from RUN to RUNNING: claimed and started in one
 * transaction, which the caller may extend (the runner records each run's first step in it).
 * The execution mode is read at the claim: a run of a disabled action or level stays queued; a
 * record-only one goes from RUN to RECORDED, its handler not run and its targets not taken.
 */
@Injectable()
export class RunQueueService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly policy: PolicyService,
    private readonly apiKeys: ApiKeyService,
    private readonly fsm: StatusMachineService,
    private readonly runs: ExecutionRunRepository,
    private readonly locks: RunLockRepository,
  ) {}

  async claim(input: ClaimInput): Promise<ClaimedBatch> {
    const ctx: CommandContext = {
      actor: input.actor ?? { id: `worker:${input.workerId}`, kind: 'system' },
      requestId: `claim:${input.workerId}`,
    };
    return this.uow.run(async (): Promise<ClaimedBatch> => {
      const candidates = input.runId ? await this.runs.lockRunById(input.runId) : await this.runs.lockQueueHead(input);
      const open = candidates.filter((run) => run.gate_verdict === 'open');
      await this.runs.postpone(
        candidates.filter((run) => run.gate_verdict !== 'open').map((run) => run.id),
        CLOSED_GATE_RETRY_MS,
      );
      const held = open.filter((run) => run.execution_mode === 'disabled');
      await this.runs.postpone(
        held.map((run) => run.id),
        DISABLED_RETRY_MS,
      );
      const allowed = await this.refuseViolations(
        open.filter((run) => !held.includes(run)),
        input.workerId,
        ctx,
      );
      await this.record(
        allowed.filter((run) => run.execution_mode === 'record_only'),
        ctx,
      );
      const { holding, waiting } = await this.lockTargets(
        allowed.filter((run) => run.execution_mode !== 'record_only'),
        input,
      );
      for (const run of waiting) {
        // Its trail says once that it waits, and once that it got the target: not at every retry.
        if (await this.runs.waitForTarget({ id: run.id, lockWaitMs: input.lockWaitMs })) {
          await this.audit.record(runEvent(AuditEventType.RunTargetWaitStarted, run, ctx, { targets: run.targets }));
        }
      }
      const claimed = await this.start(holding, input, ctx);
      return {
        claimed,
        retryInMs: waiting.length > 0 ? input.lockWaitMs : null,
        more: !input.runId && candidates.length === input.limit,
      };
    });
  }

  /** RUN -> RUNNING, for the batch in one statement: each attempt counted, the lease and the deadline set by the database clock. */
  private async start(runs: ClaimCandidate[], input: ClaimInput, ctx: CommandContext): Promise<ClaimedRun[]> {
    const timeoutOf = (run: ClaimCandidate) =>
      Math.min(run.policy_timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS, input.timeoutCapSeconds ?? Infinity);
    const { moved } = await this.fsm.transitionMany({
      axis: RUN_AXIS,
      from: RunStatus.Run,
      to: RunStatus.Running,
      rows: runs.map((run) => ({
        id: run.id,
        set: {
          worker_id: input.workerId,
          lease_expires_at: DbTime.inMs(input.leaseMs),
          attempt: run.attempt + 1,
          started_at: run.started_at ?? DbTime.now(),
          timeout_seconds: timeoutOf(run),
          deadline_at: DbTime.inMs(timeoutOf(run) * 1000),
          target_wait_started_at: null,
        },
        audit: runEvent(AuditEventType.RunClaimed, run, ctx, {
          from: RunStatus.Run,
          to: RunStatus.Running,
          worker_id: input.workerId,
          attempt: run.attempt + 1,
          timeout_seconds: timeoutOf(run),
        }),
      })),
    });
    for (const run of runs) {
      if (!run.target_wait_started_at) continue;
      await this.audit.record(
        runEvent(AuditEventType.RunTargetAcquired, run, ctx, {
          targets: run.targets,
          waiting_since: run.target_wait_started_at.toISOString(),
        }),
      );
    }
    // Every row was locked by this claim, so every one moved.
    const candidates = new Map(runs.map((run) => [run.id, run]));
    return moved.map((run) => ({
      ...run,
      approval_id: candidates.get(run.id)?.gate_approval_id ?? null,
      claimable_seconds: candidates.get(run.id)?.claimable_seconds ?? 0,
    }));
  }

  /** Record-only: RUN -> RECORDED for the batch in one statement; approved and audited, nothing run. */
  private async record(runs: ClaimCandidate[], ctx: CommandContext): Promise<void> {
    await this.fsm.transitionMany({
      axis: RUN_AXIS,
      from: RunStatus.Run,
      to: RunStatus.Recorded,
      rows: runs.map((run) => ({
        id: run.id,
        set: { finished_at: DbTime.now(), result: { record_only: true, handler_run: false } },
        audit: statusEvent(run, RunStatus.Run, RunStatus.Recorded, ctx, {
          execution_mode: 'record_only',
          approval_id: run.gate_approval_id,
        }),
      })),
    });
  }

  /**
   * Every target of every run at once, in one statement. Two runs of one batch never share a
   * target: the later one waits, as it would for a run of another worker.
   */
  private async lockTargets(runs: ClaimCandidate[], input: ClaimInput): Promise<{ holding: ClaimCandidate[]; waiting: ClaimCandidate[] }> {
    const wanted = new Set<string>();
    const asking: ClaimCandidate[] = [];
    const waiting: ClaimCandidate[] = [];
    for (const run of runs) {
      if (run.targets.some((target) => wanted.has(target))) waiting.push(run);
      else {
        for (const target of run.targets) wanted.add(target);
        asking.push(run);
      }
    }
    const taken = await this.locks.takeAll({
      runs: asking.map((run) => ({ runId: run.id, targets: run.targets })),
      workerId: input.workerId,
      leaseMs: input.leaseMs,
    });
    return {
      holding: asking.filter((run) => taken.has(run.id)),
      waiting: [...waiting, ...asking.filter((run) => !taken.has(run.id))],
    };
  }

  /**
   * Worker-side RBAC: the requester's key must still exist, be unrevoked and may still run this
   * action here. A run that fails it is claimed and failed at once (`run.rbac_violation`).
   */
  private async refuseViolations(runs: ClaimCandidate[], workerId: string, ctx: CommandContext): Promise<ClaimCandidate[]> {
    if (runs.length === 0) return runs;
    const standing = await this.apiKeys.standing(runs.map((run) => ({ principalId: run.requested_by, credential: run.requested_via })));
    const allowed: ClaimCandidate[] = [];
    for (const run of runs) {
      const violation = this.violationOf(run, standing.get(`${run.requested_by}|${run.requested_via ?? ''}`));
      if (violation) await this.failForViolation(run, violation, workerId, ctx);
      else allowed.push(run);
    }
    return allowed;
  }

  private violationOf(run: ExecutionRunRow, requester: RequesterStanding | undefined): string | null {
    if (!requester) return 'the requester no longer exists';
    if (requester.credentialProblem) return requester.credentialProblem;
    if (!requester.principal.can(Permission.RunCreate, run.project_id)) return 'the requester may no longer request runs in the project';
    if (!this.policy.find(run.action)) return 'the action is no longer in the policy';
    return null;
  }

  private async failForViolation(run: ExecutionRunRow, violation: string, workerId: string, ctx: CommandContext): Promise<void> {
    const claimed = await this.fsm.transition({
      axis: RUN_AXIS,
      id: run.id,
      from: RunStatus.Run,
      to: RunStatus.Claimed,
      set: { worker_id: workerId, lease_expires_at: DbTime.now() },
      audit: runEvent(AuditEventType.RunClaimed, run, ctx, { worker_id: workerId, attempt: run.attempt + 1 }),
    });
    await this.audit.record(runEvent(AuditEventType.RunRbacViolation, claimed, ctx, { reason: violation }));
    await this.fsm.transition({
      axis: RUN_AXIS,
      id: claimed.id,
      from: RunStatus.Claimed,
      to: RunStatus.Failed,
      set: { worker_id: null, lease_expires_at: null, finished_at: DbTime.now(), last_error: `rbac_violation: ${violation}` },
      expect: { worker_id: workerId },
      audit: statusEvent(claimed, RunStatus.Claimed, RunStatus.Failed, ctx, { reason: 'rbac_violation' }),
    });
  }
}

/** The audit event of a run's status change. */
export function statusEvent(
  run: ExecutionRunRow,
  from: RunStatus,
  to: RunStatus,
  ctx: CommandContext,
  data: Record<string, unknown>,
): AuditRecordInput {
  return runEvent(AuditEventType.RunStatusChanged, run, ctx, { from, to, ...data });
}
