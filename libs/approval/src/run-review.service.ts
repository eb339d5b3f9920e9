import { Injectable } from '@nestjs/common';
import { AccessService, Permission, Principal, PrincipalCard, PrincipalService, Role } from '@lib/identity';
import { PolicyService } from '@lib/policy';
import { ExecutionRunService, notFound } from '@lib/execution';
import { ApprovalRepository } from './approval.repository';
import { PlanChangeRow } from './approval.tables';
import { ApprovalStatus } from './approval-status';
import { RunView } from './approval-summary';
import { EDITED_THE_PLAN, INELIGIBLE, needsApproverRole, SELF_APPROVAL } from './decision-support.service';
import { RunViewService } from './run-view.service';

/** How many principals a review lists as others who may decide. */
const DECIDERS_LISTED = 50;

/** Why the caller may not decide the run now: a code a page can act on, and a sentence for a person. */
export interface DecisionBar {
  readonly code: string;
  readonly message: string;
}

/** The plan a change replaced: what a reviewer's diff is against. */
export interface ReplacedPlan {
  readonly planHash: string;
  readonly params: Record<string, unknown>;
  readonly targets: readonly string[];
}

/** What a person deciding a run needs beside the run itself: whether they may, who else may, who everyone is, what changed. */
export interface RunReview {
  readonly view: RunView;
  readonly mayDecide: boolean;
  readonly bar: DecisionBar | null;
  readonly approverRoles: readonly Role[];
  /** Others who may decide the current pending lane (known principals; the vote checks again). */
  readonly deciders: readonly PrincipalCard[];
  /** Every principal the run names (requester, the person an agent acts for, voters, deciders, canceller). */
  readonly principals: readonly PrincipalCard[];
  /** The plan approvers were last asked about before the current one (the previous lane's), for a diff. */
  readonly replacedPlan: ReplacedPlan | null;
  /** The plan as first requested, when it is neither the current nor the replaced one. */
  readonly originalPlan: ReplacedPlan | null;
  /** How many times the plan was changed. */
  readonly planChanges: number;
}

/**
 * A run as a reviewer sees it: the same rules the vote applies (ApprovalVoteService through
 * DecisionSupportService), asked without deciding, so a page offers a decision only to one who
 * may make it and says why not otherwise.
 */
@Injectable()
export class RunReviewService {
  constructor(
    private readonly access: AccessService,
    private readonly runs: ExecutionRunService,
    private readonly views: RunViewService,
    private readonly approvals: ApprovalRepository,
    private readonly principals: PrincipalService,
    private readonly policy: PolicyService,
  ) {}

  async review(principal: Principal, executionId: string): Promise<RunReview> {
    this.access.assertAllowed(principal, Permission.RunRead);
    const found = await this.runs.getRunOrFail(executionId);
    this.access.assertVisible(principal, Permission.RunRead, found.project_id, notFound);
    const view = await this.views.fresh(found);
    const { run } = view;
    const openedBy = view.approval?.openedBy ?? null;
    const approverRoles = this.policy.find(run.action)?.approverRoles ?? [];
    const bar = await this.barFor(principal, view, approverRoles);
    const voters = view.approval?.votes.map((vote) => vote.principalId) ?? [];
    const deciders =
      view.approval?.status === ApprovalStatus.Pending && approverRoles.length > 0
        ? await this.principals.eligibleDeciders({
            roles: approverRoles,
            projectId: run.project_id,
            requester: run.requested_by,
            requesterCredential: run.requested_via,
            excluded: [principal.id, ...voters, ...(openedBy ? [openedBy] : [])],
            limit: DECIDERS_LISTED,
          })
        : [];
    const named = await this.principals.describeWithAccountable([
      run.requested_by,
      ...voters,
      ...(openedBy ? [openedBy] : []),
      ...(run.cancel_requested_by ? [run.cancel_requested_by] : []),
    ]);
    const people = new Map([...named, ...deciders].map((card) => [card.id, card]));
    return {
      view,
      mayDecide: bar === null,
      bar,
      approverRoles,
      deciders,
      principals: [...people.values()],
      ...(await this.history(run.id, run.plan_hash)),
    };
  }

  private async barFor(principal: Principal, view: RunView, approverRoles: readonly Role[]): Promise<DecisionBar | null> {
    const { run, approval } = view;
    if (approval === null || approval.status !== ApprovalStatus.Pending) {
      return { code: 'not_pending', message: `nothing waits for a decision: the run is ${run.status}` };
    }
    const refusal = await this.principals.decisionRefusal({
      voter: principal.id,
      voterCredential: principal.credential,
      requester: run.requested_by,
      requesterCredential: run.requested_via,
    });
    // Its own request first: whatever roles it holds, that is the reason it is not asked.
    if (refusal === 'self') return { code: 'self', message: SELF_APPROVAL };
    if (approverRoles.length === 0) return { code: 'unknown_action', message: `the policy no longer has the action ${run.action}` };
    if (!principal.hasRoleOn(approverRoles, run.project_id) || !principal.can(Permission.ApprovalDecide, run.project_id)) {
      return {
        code: 'no_approver_role',
        message: needsApproverRole(run.action, approverRoles, run.project_id),
      };
    }
    if (refusal) return { code: refusal, message: INELIGIBLE[refusal] };
    if (approval.openedBy !== null && approval.openedBy === principal.id) return { code: 'edited_the_plan', message: EDITED_THE_PLAN };
    if (approval.votes.some((vote) => vote.principalId === principal.id)) {
      return { code: 'already_voted', message: 'you have voted on this approval already' };
    }
    return null;
  }

  private async history(runId: string, planHash: string): Promise<Pick<RunReview, 'replacedPlan' | 'originalPlan' | 'planChanges'>> {
    const { previous, original, changes } = await this.approvals.planHistory(runId, planHash);
    const plan = (row: PlanChangeRow | null): ReplacedPlan | null =>
      row ? { planHash: row.old_plan_hash, params: row.old_params, targets: row.old_targets } : null;
    const distinct = original !== null && original.old_plan_hash !== previous?.old_plan_hash && original.old_plan_hash !== planHash;
    return { replacedPlan: plan(previous), originalPlan: distinct ? plan(original) : null, planChanges: changes };
  }
}
