import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { Refusal, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/governance';
import { GrantStatus, StatusMachineService } from '@lib/execution';
import { GrantRow } from './grant.entity';
import { GrantErrorCode, GrantException } from './grants.exception';

const CLOSED: Readonly<Record<string, GrantErrorCode>> = {
  [GrantStatus.Consumed]: GrantErrorCode.GrantAlreadyConsumed,
  [GrantStatus.Expired]: GrantErrorCode.GrantExpired,
  [GrantStatus.Revoked]: GrantErrorCode.GrantRevoked,
};

/**
 * Reads, consumes and revokes grants. Every change is a compare-and-set from `active` through
 * the FSM, committed with its audit event in the run's chain (the run row is locked first, so
 * of two concurrent consumes exactly one wins). A grant past its expiry is expired, never used.
 */
@Injectable()
export class GrantService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly fsm: StatusMachineService,
  ) {}

  async get(principal: Principal, authCode: string): Promise<GrantRow> {
    const grant = await this.getGrantOrFail(authCode);
    this.access.assertAllowed(principal, Permission.GrantRead, grant.project_id);
    return grant;
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

  /** The run a grant was minted for (the approval gate's locator). */
  async runOf(authCode: string): Promise<string | null> {
    const rows = await this.uow.query<{ execution_run_id: string }>(`SELECT execution_run_id FROM governance_grants WHERE auth_code = $1`, [
      authCode,
    ]);
    return rows[0]?.execution_run_id ?? null;
  }

  /** Expires active grants past their expiry: those of one target, or a batch of any (the sweeper). */
  async expireOverdue(input: { target?: string; limit?: number; ctx: CommandContext }): Promise<number> {
    return this.uow.run(async () => {
      const due = await this.uow.query<GrantRow>(
        `SELECT g.* FROM governance_grants g
         WHERE g.status = 'active' AND g.expires_at <= now() AND ($1::text IS NULL OR g.scope ->> 'target' = $1)
         ORDER BY g.expires_at LIMIT $2`,
        [input.target ?? null, input.limit ?? 100],
      );
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
      this.access.assertAllowed(principal, input.permission, grant.project_id);
      if (grant.status === GrantStatus.Active && grant.expires_at.getTime() <= Date.now()) {
        const expired = await this.transition(grant, GrantStatus.Expired, {}, input.ctx, AuditEventType.GrantExpired);
        return this.refuse(expired, input);
      }
      if (grant.status !== GrantStatus.Active) return this.refuse(grant, input);
      const now = new Date();
      return input.to === GrantStatus.Consumed
        ? this.transition(
            grant,
            GrantStatus.Consumed,
            { consumed_at: now, consumed_by: input.ctx.actor.id },
            input.ctx,
            AuditEventType.GrantConsumed,
          )
        : this.transition(
            grant,
            GrantStatus.Revoked,
            { revoked_at: now, revoked_by: input.ctx.actor.id, revoked_reason: input.reason },
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

  private transition(
    grant: GrantRow,
    to: GrantStatus,
    set: Record<string, unknown>,
    ctx: CommandContext,
    type: AuditEventType,
  ): Promise<GrantRow> {
    return this.fsm.transition<GrantRow>({
      axis: 'grant',
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

  /** Locks the grant's run (its audit chain) and then the grant. */
  private async lockRunAndGrant(authCode: string, options: { skipLocked?: boolean } = {}): Promise<GrantRow | null> {
    const skip = options.skipLocked ? ' SKIP LOCKED' : '';
    const runs = await this.uow.query<{ id: string }>(
      `SELECT r.id FROM execution_runs r JOIN governance_grants g ON g.execution_run_id = r.id WHERE g.auth_code = $1 FOR UPDATE OF r${skip}`,
      [authCode],
    );
    if (runs.length === 0) return null;
    const grants = await this.uow.query<GrantRow>(`SELECT * FROM governance_grants WHERE auth_code = $1 FOR UPDATE`, [authCode]);
    return grants[0] ?? null;
  }

  private async getGrantOrFail(authCode: string): Promise<GrantRow> {
    const rows = await this.uow.query<GrantRow>(`SELECT * FROM governance_grants WHERE auth_code = $1`, [authCode]);
    if (rows.length === 0) throw notFound();
    return rows[0];
  }
}

function notFound(): GrantException {
  return new GrantException(GrantErrorCode.GrantNotFound, 'no such grant');
}
