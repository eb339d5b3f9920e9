import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService } from '@lib/identity';
import { Permission } from '@lib/identity';
import { PolicyErrorCode, PolicyException } from '../policy.exception';
import { PolicyService } from '../policy.service';
import { Principal } from '@lib/identity';
import { ExecutionModeRepository } from './execution-mode.repository';
import { ExecutionMode, ExecutionModeRow, ExecutionModeScope } from './execution-mode.table';

export interface ExecutionModesView {
  readonly rows: ExecutionModeRow[];
  /** Every action type of the loaded policy with its level and the mode its runs get now. */
  readonly actionTypes: ReadonlyArray<{ action: string; approvalLevel: number; effectiveMode: ExecutionMode }>;
}

/**
 * Switching execution modes at run time (seed 002's dark launch and gradual enablement). A
 * switch is one row, written with its audit event in one transaction; nothing caches it: the
 * create trigger and the claim ask PostgreSQL (execution_mode()) each time, so every API
 * instance and worker follows at once. A switch affects every project, so only an admin whose
 * scope is all projects may make it.
 */
@Injectable()
export class ExecutionModeService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly policy: PolicyService,
    private readonly modes: ExecutionModeRepository,
  ) {}

  async view(principal: Principal): Promise<ExecutionModesView> {
    this.access.assertAllowed(principal, Permission.ExecutionModeRead);
    const actionTypes = this.policy.list();
    const [rows, effective] = await Promise.all([
      this.modes.list(),
      this.modes.effective(actionTypes.map((actionType) => ({ action: actionType.code, level: actionType.approvalLevel }))),
    ]);
    return {
      rows,
      actionTypes: actionTypes.map((actionType, index) => ({
        action: actionType.code,
        approvalLevel: actionType.approvalLevel,
        effectiveMode: effective[index],
      })),
    };
  }

  async set(
    principal: Principal,
    input: { scope: ExecutionModeScope; key: string; mode: ExecutionMode; reason: string; aheadOfPolicy?: boolean },
    ctx: CommandContext,
  ): Promise<ExecutionModeRow> {
    this.access.assertEverywhere(
      principal,
      Permission.ExecutionModeManage,
      'an execution mode applies to every project: it needs a principal scoped to all (*)',
    );
    // A mistyped action ("stop deploy.prodution now") must not answer 200 and stop nothing.
    if (input.scope === ExecutionModeScope.Action && !input.aheadOfPolicy && !this.policy.find(input.key)) {
      throw new PolicyException(
        PolicyErrorCode.ActionNotFound,
        `no action type "${input.key}" in the policy; to switch it before the policy has it, send ahead_of_policy: true`,
        { action: input.key },
      );
    }
    return this.uow.run(async () => {
      const { before, after } = await this.modes.set({
        scope: input.scope,
        key: input.key,
        mode: input.mode,
        reason: input.reason,
        changedBy: ctx.actor.id,
      });
      await this.audit.record({
        type: AuditEventType.ExecutionModeChanged,
        ctx,
        data: {
          scope: input.scope,
          key: input.key,
          from: before?.mode ?? ExecutionMode.Enabled,
          to: input.mode,
          reason: input.reason,
          version: after.version,
        },
      });
      return after;
    });
  }
}
