import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { ActionType, findScopeViolation } from '@lib/governance';
import { ExecutionRunRow, HandlerOutcome, outcomeKind } from '@lib/execution';
import { ApprovalGateService, ApprovalRow } from '@lib/approval';
import { authCodeFor, GrantRow } from './grant.entity';
import { GrantService } from './grant.service';

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
    private readonly gate: ApprovalGateService,
    private readonly grants: GrantService,
  ) {}

  async handle(input: HandlerInput, requestId: string): Promise<HandlerOutcome> {
    const ctx: CommandContext = { actor: { id: HANDLER_ID, kind: 'system' }, requestId };
    const refusal = this.precheck(input);
    if (refusal) return this.record(input.run, refusal, ctx);
    return this.uow.run(async () => {
      const run = await this.lockRun(input.run.id);
      const decision = await this.gate.check(run.id);
      if (!decision.allowed) return this.record(run, `FAIL:approval_required_${decision.reason}`, ctx);
      const target = run.targets[0];
      // Serialize minting per target, so "one active grant per target" is decided, not raced.
      await this.uow.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`grant-target:${target}`]);
      await this.grants.expireOverdue({ target, ctx: { actor: SYSTEM_ACTOR, requestId } });
      const authCode = authCodeFor(run.id);
      const live = await this.uow.query<{ auth_code: string }>(
        `SELECT auth_code FROM governance_grants WHERE scope ->> 'target' = $1 AND status = 'active' AND auth_code <> $2`,
        [target, authCode],
      );
      if (live.length > 0) return this.record(run, 'SKIP:active_grant_exists', ctx, { active_auth_code: live[0].auth_code });
      const minted = await this.mint(run, decision.approval, authCode);
      const [stored] = await this.uow.query<Pick<GrantRow, 'status'>>(`SELECT status FROM governance_grants WHERE auth_code = $1`, [
        authCode,
      ]);
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
    const ttl = clampTtl(params.ttl_seconds);
    const votes = await this.uow.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM approval_decisions WHERE approval_id = $1 AND decision = 'approve'`,
      [approval.id],
    );
    const inserted = await this.uow.query(
      `INSERT INTO governance_grants (auth_code, execution_run_id, approval_id, project_id, status, scope, approval_ref, evidence,
                                      rollback_plan_ref, commit_allowed, ttl_seconds, granted_by, granted_at, expires_at)
       VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, false, $9::int, $10, now(), now() + make_interval(secs => $9::int))
       ON CONFLICT (auth_code) DO NOTHING RETURNING auth_code`,
      [
        authCode,
        run.id,
        approval.id,
        run.project_id,
        JSON.stringify({ namespace: params.namespace, axis: typeof params.axis === 'string' ? params.axis : null, target: run.targets[0] }),
        JSON.stringify({
          approval_id: approval.id,
          quorum: 'passed',
          approvals: votes[0].n,
          required_approvals: approval.required_approvals,
          plan_hash: approval.plan_hash,
          policy_hash: approval.policy_hash,
        }),
        JSON.stringify({
          plan_ref: typeof params.plan_ref === 'string' ? params.plan_ref : null,
          plan_hash: run.plan_hash,
          step_name: typeof params.step_name === 'string' ? params.step_name : null,
          owner: typeof params.owner === 'string' ? params.owner : null,
          mode: 'dry-run',
        }),
        params.rollback_plan_ref,
        ttl,
        HANDLER_ID,
      ],
    );
    return inserted.length === 1;
  }

  private async lockRun(executionRunId: string): Promise<ExecutionRunRow> {
    const [run] = await this.uow.query<ExecutionRunRow>(`SELECT * FROM execution_runs WHERE id = $1 FOR UPDATE`, [executionRunId]);
    return run;
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
      await this.lockRun(run.id);
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
