import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { DbTime, Refusal, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditRecordInput, AuditService, runEvent } from '@lib/audit';
import { ApiKeyService, Permission, PolicyService } from '@lib/governance';
import { StatusMachineService } from '@lib/state-machine';
import { ExecutionRunRow } from '../execution.tables';
import { ExecutionRunRepository } from '../repositories/execution-run.repository';
import { RunLockRepository } from '../repositories/run-lock.repository';
import { RUN_AXIS, RunStatus } from '../run-status';

/** A claim's answer; `waiting`: the next run waits for a target, and is offered again after `retryInMs`. */
export type ClaimResult =
  { kind: 'claimed'; run: ExecutionRunRow } | { kind: 'none' } | { kind: 'refused' } | { kind: 'waiting'; retryInMs: number };

export interface ClaimInput {
  readonly workerId: string;
  readonly leaseMs: number;
  readonly lockWaitMs: number;
  /** A LIKE pattern: a worker may serve only some projects (and tests use it to stay apart). */
  readonly projectPattern: string;
  /** Claim this run only (immediate mode). */
  readonly runId?: string;
}

/**
 * The queue is the execution_runs table: a run is claimable when it is RUN, due, and through the
 * approval gate (checked in the claim itself). Claims use FOR UPDATE SKIP LOCKED, so workers
 * never wait for each other. The requester's key is checked again (worker-side RBAC), and a
 * claimed run takes a lease-bound lock on each of its targets in sorted order; if a live run
 * holds one, the claim is given back and the run waits.
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

  async claim(input: ClaimInput): Promise<ClaimResult> {
    const { workerId, leaseMs, lockWaitMs } = input;
    const ctx: CommandContext = { actor: { id: `worker:${workerId}`, kind: 'system' }, requestId: `claim:${workerId}` };
    return this.uow.run(async (): Promise<ClaimResult | Refusal> => {
      const candidate = await this.runs.lockNextClaimable(input);
      if (!candidate) return { kind: 'none' };
      const violation = await this.rbacViolation(candidate);
      if (!violation && !(await this.lockTargets(candidate, workerId, leaseMs))) {
        // Its trail says once that it waits, and once that it got the target: not at every retry.
        if (await this.runs.waitForTarget({ id: candidate.id, lockWaitMs })) {
          await this.audit.record(runEvent(AuditEventType.RunTargetWaitStarted, candidate, ctx, { targets: candidate.targets }));
        }
        return { kind: 'waiting', retryInMs: lockWaitMs };
      }
      const claimed = await this.fsm.transition({
        axis: RUN_AXIS,
        id: candidate.id,
        from: RunStatus.Run,
        to: RunStatus.Claimed,
        set: { worker_id: workerId, lease_expires_at: DbTime.inMs(leaseMs), target_wait_started_at: null },
        audit: runEvent(AuditEventType.RunClaimed, candidate, ctx, { worker_id: workerId, attempt: candidate.attempt + 1 }),
      });
      if (candidate.target_wait_started_at) {
        await this.audit.record(
          runEvent(AuditEventType.RunTargetAcquired, candidate, ctx, {
            targets: candidate.targets,
            waiting_since: candidate.target_wait_started_at.toISOString(),
          }),
        );
      }
      if (violation) {
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
        return { kind: 'refused' };
      }
      return { kind: 'claimed', run: claimed };
    });
  }

  /** Locks every target (sorted); all or nothing. Expired locks of dead holders are taken over. */
  private async lockTargets(run: ExecutionRunRow, workerId: string, leaseMs: number): Promise<boolean> {
    for (const target of [...run.targets].sort()) {
      if (!(await this.locks.take({ target, runId: run.id, workerId, leaseMs }))) {
        await this.locks.releaseAll(run.id);
        return false;
      }
    }
    return true;
  }

  /** Worker-side RBAC: the requester's key must still exist, be unrevoked and may still run this action here. */
  private async rbacViolation(run: ExecutionRunRow): Promise<string | null> {
    const key = await this.apiKeys.findById(run.requested_by);
    if (!key) return 'the requesting key no longer exists';
    if (key.revokedAt) return 'the requesting key was revoked';
    if (!key.principal.can(Permission.RunCreate)) return 'the requesting key may no longer request runs';
    if (!key.principal.coversProject(run.project_id)) return 'the requesting key is no longer scoped to the project';
    if (!this.policy.find(run.action)) return 'the action is no longer in the policy';
    return null;
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
