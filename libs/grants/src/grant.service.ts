import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { DbTime, Refusal, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/identity';
import { ExecutionRunService } from '@lib/execution';
import { StatusMachineService } from '@lib/state-machine';
import { GrantRepository, GrantWithLapse } from './grant.repository';
import { GRANT_AXIS, GrantStatus } from './grant-status';
import { GrantRow } from './grant.table';
import { GrantErrorCode, GrantException } from './grants.exception';

const CLOSED: Readonly<Record<string, GrantErrorCode>> = {
  [GrantStatus.Consumed]: GrantErrorCode.GrantAlreadyConsumed,
  [GrantStatus.Expired]: GrantErrorCode.GrantExpired,
  [GrantStatus.Revoked]: GrantErrorCode.GrantRevoked,
};

/**
 * Reads, consumes and revokes grants. Every change is a compare-and-set from `active` through
 * the FSM, committed with its audit event in the run's chain (the run row is locked first, so
 * of two concurrent consumes exactly one wins). A grant past its expiry (by the database clock)
 * is expired, never used.
 */
@Injectable()
export class GrantService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly fsm: StatusMachineService,
    private readonly runs: ExecutionRunService,
    private readonly grants: GrantRepository,
  ) {}

  async get(principal: Principal, authCode: string): Promise<GrantRow> {
    const grant = await this.grants.find(authCode);
    if (!grant) throw notFound();
    this.access.assertVisible(principal, Permission.GrantRead, grant.project_id, notFound);
    return withoutLapse(grant);
  }

  consume(principal: Principal, authCode: string, ctx: CommandContext): Promise<GrantRow> {
    return this.close(principal, { authCode, permission: Permission.GrantConsume, to: GrantStatus.Consumed, ctx });
  }

  revoke(principal: Principal, input: { authCode: string; reason: string }, ctx: CommandContext): Promise<GrantRow> {
    return this.close(principal, {
      authCode: input.authCode,
      permission: Permission.GrantRevoke,
      to: GrantStatus.Revoked,
      reason: input.reason,
      ctx,
    });
  }

  /** Expires active grants past their expiry: those of one target, or a batch of any (the sweeper). */
  async expireOverdue(input: { target?: string; limit?: number; ctx: CommandContext }): Promise<number> {
    return this.uow.run(async () => {
      const due = await this.grants.overdue({ target: input.target, limit: input.limit ?? 100 });
      let expired = 0;
      for (const grant of due) {
        const locked = await this.lockRunAndGrant(grant.auth_code, { skipLocked: input.target === undefined });
        if (!locked || locked.status !== GrantStatus.Active) continue;
        await this.transition(locked, GrantStatus.Expired, {}, input.ctx, AuditEventType.GrantExpired);
        expired++;
      }
      return expired;
    });
  }

  private async close(
    principal: Principal,
    input: { authCode: string; permission: Permission; to: GrantStatus; reason?: string; ctx: CommandContext },
  ): Promise<GrantRow> {
    this.access.assertAllowed(principal, input.permission);
    return this.uow.run(async (): Promise<GrantRow | Refusal> => {
      const grant = await this.lockRunAndGrant(input.authCode);
      if (!grant) throw notFound();
      this.access.assertVisible(principal, input.permission, grant.project_id, notFound);
      if (grant.status === GrantStatus.Active && grant.lapsed) {
        const expired = await this.transition(grant, GrantStatus.Expired, {}, input.ctx, AuditEventType.GrantExpired);
        return this.refuse(expired, input);
      }
      if (grant.status !== GrantStatus.Active) return this.refuse(grant, input);
      return input.to === GrantStatus.Consumed
        ? this.transition(
            grant,
            GrantStatus.Consumed,
            { consumed_at: DbTime.now(), consumed_by: input.ctx.actor.id },
            input.ctx,
            AuditEventType.GrantConsumed,
          )
        : this.transition(
            grant,
            GrantStatus.Revoked,
            { revoked_at: DbTime.now(), revoked_by: input.ctx.actor.id, revoked_reason: input.reason },
            input.ctx,
            AuditEventType.GrantRevoked,
          );
    });
  }

  private async refuse(grant: GrantRow, input: { to: GrantStatus; ctx: CommandContext }): Promise<Refusal> {
    const code = CLOSED[grant.status] ?? GrantErrorCode.GrantExpired;
    await this.audit.record({
      type: AuditEventType.GrantConsumeRefused,
      ctx: input.ctx,
      projectId: grant.project_id,
      executionRunId: grant.execution_run_id,
      data: { auth_code: grant.auth_code, status: grant.status, attempted: input.to, code },
    });
    return new Refusal(new GrantException(code, `the grant is ${grant.status}`, { auth_code: grant.auth_code, status: grant.status }));
  }

  private async transition(
    grant: GrantRow,
    to: GrantStatus,
    set: Partial<Record<keyof GrantRow, unknown>>,
    ctx: CommandContext,
    type: AuditEventType,
  ): Promise<GrantRow> {
    return this.fsm.transition({
      axis: GRANT_AXIS,
      id: grant.auth_code,
      from: GrantStatus.Active,
      to,
      set,
      audit: {
        type,
        ctx,
        projectId: grant.project_id,
        executionRunId: grant.execution_run_id,
        data: {
          auth_code: grant.auth_code,
          target: grant.scope.target,
          ...('revoked_reason' in set ? { reason: set.revoked_reason } : {}),
        },
      },
    });
  }

  /** Locks the grant's run (its audit chain) and then the grant; a grant's run never changes. */
  private async lockRunAndGrant(authCode: string, options: { skipLocked?: boolean } = {}): Promise<GrantWithLapse | null> {
    const grant = await this.grants.find(authCode);
    if (!grant) return null;
    const runs = await this.runs.lockRuns([grant.execution_run_id], { skipLocked: options.skipLocked });
    if (runs.length === 0) return null;
    return this.grants.find(authCode, { lock: true });
  }
}

function withoutLapse({ lapsed: _lapsed, ...grant }: GrantWithLapse): GrantRow {
  return grant;
}

function notFound(): GrantException {
  return new GrantException(GrantErrorCode.GrantNotFound, 'no such grant');
}
