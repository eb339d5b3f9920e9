import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { Refusal, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { ApiKeyEntity, Permission, PolicyService, Principal, Role } from '@lib/governance';
import { ExecutionRunRow, RunStatus, StatusMachineService } from '@lib/execution';

export type ClaimResult = { kind: 'claimed'; run: ExecutionRunRow } | { kind: 'none' } | { kind: 'refused' };

/**
 * The queue is the execution_runs table: a run is claimable when it is RUN, due, and its current
 * approval is approved, unexpired and for its plan (the approval gate, checked in the claim
 * itself). Claims use FOR UPDATE SKIP LOCKED, so workers never wait for each other. A claimed run
 * also holds a lease-bound lock on each of its targets, taken in sorted order; if one is held by
 * a live run, the claim is given back and the run waits.
 */
@Injectable()
export class RunQueueService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly policy: PolicyService,
    private readonly fsm: StatusMachineService,
  ) {}

  /** `projectPattern`: a LIKE pattern; a worker may serve only some projects (and tests use it to stay apart). */
  async claim(input: {
    workerId: string;
    leaseMs: number;
    lockWaitMs: number;
    projectPattern: string;
    runId?: string;
  }): Promise<ClaimResult> {
    const { workerId, leaseMs, lockWaitMs } = input;
    const ctx: CommandContext = { actor: { id: `worker:${workerId}`, kind: 'system' }, requestId: `claim:${workerId}` };
    return this.uow.run(async (): Promise<ClaimResult | Refusal> => {
      const [candidate] = await this.uow.query<ExecutionRunRow>(
        `SELECT r.* FROM execution_runs r
         JOIN LATERAL (SELECT status, plan_hash, expires_at FROM approvals WHERE execution_run_id = r.id ORDER BY lane DESC LIMIT 1) a ON true
         WHERE r.status = 'RUN' AND r.available_at <= now() AND r.project_id LIKE $1 AND ($2::uuid IS NULL OR r.id = $2)
           AND a.status = 'approved' AND a.plan_hash = r.plan_hash AND a.expires_at > now()
         ORDER BY r.available_at, r.created_at
         LIMIT 1
         FOR UPDATE OF r SKIP LOCKED`,
        [input.projectPattern, input.runId ?? null],
      );
      if (!candidate) return { kind: 'none' };
      const claimed = await this.fsm.transition<ExecutionRunRow>({
        axis: 'run',
        id: candidate.id,
        from: RunStatus.Run,
        to: RunStatus.Claimed,
        set: { worker_id: workerId, lease_expires_at: new Date(Date.now() + leaseMs) },
        audit: {
          type: AuditEventType.RunClaimed,
          ctx,
          projectId: candidate.project_id,
          executionRunId: candidate.id,
          data: { worker_id: workerId, attempt: candidate.attempt + 1 },
        },
      });
      const violation = await this.rbacViolation(claimed);
      if (violation) {
        await this.audit.record({
          type: AuditEventType.RunRbacViolation,
          ctx,
          projectId: claimed.project_id,
          executionRunId: claimed.id,
          data: { reason: violation },
        });
        await this.fsm.transition({
          axis: 'run',
          id: claimed.id,
          from: RunStatus.Claimed,
          to: RunStatus.Failed,
          set: { worker_id: null, lease_expires_at: null, finished_at: new Date(), last_error: `rbac_violation: ${violation}` },
          expect: { worker_id: workerId },
          audit: {
            type: AuditEventType.RunStatusChanged,
            ctx,
            projectId: claimed.project_id,
            executionRunId: claimed.id,
            data: { from: RunStatus.Claimed, to: RunStatus.Failed, reason: 'rbac_violation' },
          },
        });
        return { kind: 'refused' };
      }
      if (!(await this.lockTargets(claimed, workerId, leaseMs))) {
        await this.fsm.transition({
          axis: 'run',
          id: claimed.id,
          from: RunStatus.Claimed,
          to: RunStatus.Run,
          set: { worker_id: null, lease_expires_at: null, available_at: new Date(Date.now() + lockWaitMs) },
          expect: { worker_id: workerId },
          audit: {
            type: AuditEventType.RunStatusChanged,
            ctx,
            projectId: claimed.project_id,
            executionRunId: claimed.id,
            data: { from: RunStatus.Claimed, to: RunStatus.Run, reason: 'target_locked' },
          },
        });
        return { kind: 'none' };
      }
      return { kind: 'claimed', run: claimed };
    });
  }

  /** Locks every target (sorted); all or nothing. Expired locks of dead holders are taken over. */
  private async lockTargets(run: ExecutionRunRow, workerId: string, leaseMs: number): Promise<boolean> {
    for (const target of [...run.targets].sort()) {
      const taken = await this.uow.query(
        `INSERT INTO execution_locks (target, execution_run_id, worker_id, lease_expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))
         ON CONFLICT (target) DO UPDATE
           SET execution_run_id = EXCLUDED.execution_run_id, worker_id = EXCLUDED.worker_id,
               acquired_at = now(), lease_expires_at = EXCLUDED.lease_expires_at
           WHERE execution_locks.lease_expires_at < now() OR execution_locks.execution_run_id = EXCLUDED.execution_run_id
         RETURNING target`,
        [target, run.id, workerId, leaseMs],
      );
      if (taken.length === 0) {
        await this.releaseLocks(run.id);
        return false;
      }
    }
    return true;
  }

  releaseLocks(executionRunId: string): Promise<unknown> {
    return this.uow.query(`DELETE FROM execution_locks WHERE execution_run_id = $1`, [executionRunId]);
  }

  /** Worker-side RBAC: the requester's key must still exist, be unrevoked and may still run this action here. */
  private async rbacViolation(run: ExecutionRunRow): Promise<string | null> {
    const [key] = await this.uow.query<Pick<ApiKeyEntity, 'id' | 'name' | 'roles' | 'projectIds'> & { revoked_at: Date | null }>(
      `SELECT id, name, roles, project_ids AS "projectIds", revoked_at FROM api_keys WHERE id::text = $1`,
      [run.requested_by],
    );
    if (!key) return 'the requesting key no longer exists';
    if (key.revoked_at) return 'the requesting key was revoked';
    const principal = new Principal(key.id, key.name, key.roles as Role[], key.projectIds);
    if (!principal.can(Permission.RunCreate)) return 'the requesting key may no longer request runs';
    if (!principal.coversProject(run.project_id)) return 'the requesting key is no longer scoped to the project';
    if (!this.policy.find(run.action)) return 'the action is no longer in the policy';
    return null;
  }
}
