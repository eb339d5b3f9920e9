import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/identity';
import { ActionType, PolicyService, PolicyException } from '@lib/policy';
import {
  computeFingerprint,
  ExecutionErrorCode,
  ExecutionException,
  ExecutionRunService,
  normalizeTargets,
  RunStatus,
} from '@lib/execution';
import { ApprovalLaneService, RunView, RunViewService } from '@lib/approval';
import { IMMEDIATE_CAP_SECONDS, ImmediateRunnerService } from '@lib/runner';

export interface RequestRunInput {
  readonly projectId: string;
  readonly idempotencyKey: string;
  readonly action: string;
  readonly params: Record<string, unknown>;
  readonly targets: readonly string[];
}

export interface RequestRunResult extends RunView {
  readonly dedupHit: boolean;
}

type Outcome = { kind: 'created' | 'dedup'; view: RunView } | { kind: 'conflict'; runId: string; fingerprint: string };

/**
 * Requesting a run, the one command that spans the policy, the run and its approval: refused
 * (and audited) when the policy does not allow it; otherwise created once per (project,
 * idempotency key) together with its first approval lane in one transaction (level 0 is approved
 * at once by the system); a repeat is a dedup hit, the same key with another payload a
 * conflict. An immediate action (read-only, level 0) is carried out inside the request. A new
 * run of an action or level whose execution mode is disabled is refused (and audited).
 */
@Injectable()
export class RunRequestService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly policy: PolicyService,
    private readonly runs: ExecutionRunService,
    private readonly lanes: ApprovalLaneService,
    private readonly views: RunViewService,
    private readonly immediate: ImmediateRunnerService,
  ) {}

  async request(principal: Principal, input: RequestRunInput, ctx: CommandContext): Promise<RequestRunResult> {
    this.access.assertAllowed(principal, Permission.RunCreate, input.projectId);
    const targets = normalizeTargets(input.targets);
    const fingerprint = computeFingerprint({ action: input.action, params: input.params, targets });
    const actionType = await this.actionTypeOrRefuse({ ...input, targets }, fingerprint, ctx);
    const policyHash = this.policy.hash;

    const outcome = await this.uow
      .run(async (): Promise<Outcome> => {
        const created = await this.runs.createOrFind({ ...input, targets, fingerprint, actionType, policyHash }, ctx);
        if (created.kind === 'conflict') return { kind: 'conflict', runId: created.existing.id, fingerprint: created.existing.fingerprint };
        if (created.kind === 'dedup') return { kind: 'dedup', view: await this.views.of(created.run) };
        // An immediate run is this request's to carry out: the background workers leave it alone for the cap.
        const holdMs = actionType.immediate ? IMMEDIATE_CAP_SECONDS * 1000 : 0;
        return { kind: 'created', view: await this.lanes.open({ run: created.run, actionType, policyHash, holdMs }, ctx) };
      })
      .catch(async (error: unknown) => {
        // Switched off (execution mode disabled): the database refused the new run.
        if (error instanceof ExecutionException && error.code === ExecutionErrorCode.ActionDisabled) {
          await this.auditRefusal({ ...input, targets }, fingerprint, error, ctx);
        }
        throw error;
      });

    if (outcome.kind === 'conflict') {
      throw new ExecutionException(
        ExecutionErrorCode.IdempotencyConflict,
        'this idempotency key was already used for a different request',
        {
          execution_id: outcome.runId,
          fingerprint: outcome.fingerprint,
        },
      );
    }
    if (outcome.kind === 'created' && actionType.immediate && outcome.view.run.status === RunStatus.Run) {
      return { run: await this.immediate.run(outcome.view.run), approval: outcome.view.approval, dedupHit: false };
    }
    return { ...outcome.view, dedupHit: outcome.kind === 'dedup' };
  }

  /**
   * Fail closed: an action the policy does not know, or a target or namespace outside its
   * allowed scope, is refused with 422. The refusal is audited (and committed) first.
   */
  private async actionTypeOrRefuse(input: RequestRunInput, fingerprint: string, ctx: CommandContext): Promise<ActionType> {
    try {
      const actionType = this.policy.getActionTypeOrFail(input.action);
      this.policy.assertScopeAllowed(actionType, { targets: input.targets, params: input.params });
      return actionType;
    } catch (error) {
      if (!(error instanceof PolicyException)) throw error;
      await this.auditRefusal(input, fingerprint, error, ctx);
      throw error;
    }
  }

  private async auditRefusal(
    input: RequestRunInput,
    fingerprint: string,
    error: PolicyException | ExecutionException,
    ctx: CommandContext,
  ): Promise<void> {
    await this.uow.run(() =>
      this.audit.record({
        type: AuditEventType.RunRefusedByPolicy,
        ctx,
        projectId: input.projectId,
        data: { code: error.code, action: input.action, idempotency_key: input.idempotencyKey, fingerprint, ...error.details },
      }),
    );
  }
}
