import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { ActionType, findScopeViolation } from '@lib/policy';
import { ExecutionRunRow, ExecutionRunService, HandlerOutcome, outcomeKind } from '@lib/execution';
import { ApprovalGateService, ApprovalLaneService, ApprovalRow } from '@lib/approval';
import { GrantRepository } from './grant.repository';
import { GrantService } from './grant.service';
import { authCodeFor } from './grant.table';

export const AUTHORIZE_BUILD_STEP = 'governance.authorize_build_step';
const HANDLER_ID = `handler:${AUTHORIZE_BUILD_STEP}`;
const DEFAULT_TTL_SECONDS = 7200;
const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 86400;

export interface HandlerInput {
  readonly run: ExecutionRunRow;
  readonly approval: ApprovalRow;
  readonly actionType: ActionType;
}

/**
 * Seed 004's minimal handler: mints one single-use, dry-run build authorization from an
 * approved run, answering OK, SKIP:<reason> or FAIL:<detail>; every answer is audited. It is not
 * generic: any other action code is refused, commit is never allowed, and the scope must be the
 * action's allowlist. Minting twice is impossible (deterministic auth_code, ON CONFLICT DO
 * NOTHING, then read back), and one target has at most one active grant.
 */
@Injectable()
export class AuthorizeBuildStepHandler {
  readonly actionCode = AUTHORIZE_BUILD_STEP;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly runs: ExecutionRunService,
    private readonly gate: ApprovalGateService,
    private readonly lanes: ApprovalLaneService,
    private readonly grants: GrantService,
    private readonly repository: GrantRepository,
  ) {}

  async handle(input: HandlerInput, requestId: string): Promise<HandlerOutcome> {
    const ctx: CommandContext = { actor: { id: HANDLER_ID, kind: 'system' }, requestId };
    const refusal = this.precheck(input);
    if (refusal) return this.record(input.run, refusal, ctx);
    return this.uow.run(async () => {
      const run = await this.runs.getRunOrFail(input.run.id, { lock: true });
      const decision = await this.gate.check(run.id);
      if (!decision.allowed) return this.record(run, `FAIL:approval_required_${decision.reason}`, ctx);
      const target = run.targets[0];
      // Serialize minting per target, so "one active grant per target" is decided, not raced.
      await this.repository.lockTarget(target);
      await this.grants.expireOverdue({ target, ctx: { actor: SYSTEM_ACTOR, requestId } });
      const authCode = authCodeFor(run.id);
      const live = await this.repository.activeOnTarget(target, authCode);
      if (live) return this.record(run, 'SKIP:active_grant_exists', ctx, { active_auth_code: live });
      const minted = await this.mint(run, decision.approval, authCode);
      const stored = await this.repository.find(authCode);
      if (minted) return this.record(run, 'OK', ctx, { auth_code: authCode });
      return this.record(run, stored?.status === 'active' ? 'SKIP:already_minted' : `SKIP:grant_${stored?.status ?? 'missing'}`, ctx, {
        auth_code: authCode,
      });
    });
  }

  /** Gate 0 and the payload rules, before anything is touched. */
  private precheck({ run, actionType }: HandlerInput): HandlerOutcome | null {
    if (run.action !== AUTHORIZE_BUILD_STEP || actionType.code !== AUTHORIZE_BUILD_STEP) return 'SKIP:reject_action_superset';
    const params = run.params;
    const commit = params.commit ?? params.COMMIT;
    if (commit !== undefined && commit !== false) return 'FAIL:reject_real_run_commit_not_allowed';
    if (params.risk === 'sovereign') return 'FAIL:reject_sovereign_not_allowed';
    if (run.targets.length !== 1) return 'FAIL:reject_scope_not_allowed';
    if (findScopeViolation(actionType, { targets: run.targets, params })) return 'FAIL:reject_scope_not_allowed';
    const rollback = params.rollback_plan_ref;
    if (typeof rollback !== 'string' || rollback.trim() === '' || rollback.length > 255) return 'FAIL:missing_rollback_plan_ref';
    return null;
  }

  private async mint(run: ExecutionRunRow, approval: ApprovalRow, authCode: string): Promise<boolean> {
    const params = run.params;
    const votes = await this.lanes.votesFor(approval.id);
    return this.repository.insertIfAbsent({
      authCode,
      runId: run.id,
      approvalId: approval.id,
      projectId: run.project_id,
      scope: { namespace: params.namespace, axis: typeof params.axis === 'string' ? params.axis : null, target: run.targets[0] },
      approvalRef: {
        approval_id: approval.id,
        quorum: 'passed',
        approvals: votes.filter((vote) => vote.decision === 'approve').length,
        required_approvals: approval.required_approvals,
        plan_hash: approval.plan_hash,
        policy_hash: approval.policy_hash,
      },
      evidence: {
        plan_ref: typeof params.plan_ref === 'string' ? params.plan_ref : null,
        plan_hash: run.plan_hash,
        step_name: typeof params.step_name === 'string' ? params.step_name : null,
        owner: typeof params.owner === 'string' ? params.owner : null,
        mode: 'dry-run',
      },
      rollbackPlanRef: params.rollback_plan_ref as string,
      ttlSeconds: clampTtl(params.ttl_seconds),
      grantedBy: HANDLER_ID,
    });
  }

  private async record(
    run: ExecutionRunRow,
    outcome: HandlerOutcome,
    ctx: CommandContext,
    extra: Record<string, unknown> = {},
  ): Promise<HandlerOutcome> {
    const kind = outcomeKind(outcome);
    const type = kind === 'ok' ? AuditEventType.GrantMinted : kind === 'skip' ? AuditEventType.GrantSkipped : AuditEventType.GrantFailed;
    await this.uow.run(async () => {
      await this.runs.getRunOrFail(run.id, { lock: true });
      await this.audit.record({
        type,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { handler: AUTHORIZE_BUILD_STEP, outcome, ...extra },
      });
    });
    return outcome;
  }
}

export function clampTtl(requested: unknown): number {
  if (typeof requested !== 'number' || !Number.isInteger(requested)) return DEFAULT_TTL_SECONDS;
  return Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, requested));
}
