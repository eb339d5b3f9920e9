import { Injectable, OnModuleInit } from '@nestjs/common';
import { resolve } from 'node:path';
import { UnitOfWork } from '@lib/database';
import { ActionType, Policy } from './action-type';
import { loadPolicyFile } from './policy-file';
import { findScopeViolation } from './scope';
import { GovernanceErrorCode, GovernanceException } from '../governance.exception';

export const DEFAULT_POLICY_FILE = 'policies/action-types.json';

/**
 * The action-type policy: read from the policy file at start (an invalid file stops the
 * process with an error naming the field), recorded in the database (policy_versions,
 * action_types) so runs can reference it, and served from memory afterwards.
 */
@Injectable()
export class PolicyService implements OnModuleInit {
  private policy: Policy | undefined;
  private byCode = new Map<string, ActionType>();

  constructor(private readonly uow: UnitOfWork) {}

  async onModuleInit(): Promise<void> {
    const path = resolve(process.env.POLICY_FILE ?? DEFAULT_POLICY_FILE);
    const policy = loadPolicyFile(path);
    await this.record(policy);
    this.policy = policy;
    this.byCode = new Map(policy.actionTypes.map((actionType) => [actionType.code, actionType]));
  }

  get hash(): string {
    return this.current().hash;
  }

  list(): readonly ActionType[] {
    return this.current().actionTypes;
  }

  find(code: string): ActionType | undefined {
    this.current();
    return this.byCode.get(code);
  }

  /** Fail closed: an action without a policy is refused. */
  getActionTypeOrFail(code: string): ActionType {
    const actionType = this.find(code);
    if (!actionType)
      throw new GovernanceException(GovernanceErrorCode.UnknownAction, `no action type "${code}" in the policy`, { action: code });
    return actionType;
  }

  assertScopeAllowed(actionType: ActionType, plan: { targets: readonly string[]; params: Record<string, unknown> }): void {
    const violation = findScopeViolation(actionType, plan);
    if (violation) {
      throw new GovernanceException(
        GovernanceErrorCode.ScopeNotAllowed,
        `${violation.field} "${violation.value}" is outside the scope allowed for ${actionType.code}`,
        {
          action: actionType.code,
          ...violation,
        },
      );
    }
  }

  private current(): Policy {
    if (!this.policy) throw new Error('the policy is not loaded');
    return this.policy;
  }

  /** Records this policy version and its action types; types no longer in the file are retired, never deleted. */
  private async record(policy: Policy): Promise<void> {
    await this.uow.run(async () => {
      await this.uow.query(`SELECT pg_advisory_xact_lock(4242002)`);
      await this.uow.query(`INSERT INTO policy_versions (hash, document) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING`, [
        policy.hash,
        JSON.stringify(policy.document),
      ]);
      for (const actionType of policy.actionTypes) {
        await this.uow.query(
          `INSERT INTO action_types (code, description, approval_level, required_approvals, approver_roles, approval_ttl_seconds, allowed_scopes, mints_grant, policy_hash,
                                     handler, immediate, max_attempts, sla_class, allowed_urls)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (code) DO UPDATE SET description = EXCLUDED.description, approval_level = EXCLUDED.approval_level,
             required_approvals = EXCLUDED.required_approvals, approver_roles = EXCLUDED.approver_roles,
             approval_ttl_seconds = EXCLUDED.approval_ttl_seconds, allowed_scopes = EXCLUDED.allowed_scopes,
             mints_grant = EXCLUDED.mints_grant, policy_hash = EXCLUDED.policy_hash, handler = EXCLUDED.handler,
             immediate = EXCLUDED.immediate, max_attempts = EXCLUDED.max_attempts, sla_class = EXCLUDED.sla_class,
             allowed_urls = EXCLUDED.allowed_urls, retired_at = NULL, updated_at = now()
           WHERE action_types.policy_hash IS DISTINCT FROM EXCLUDED.policy_hash OR action_types.retired_at IS NOT NULL`,
          [
            actionType.code,
            actionType.description,
            actionType.approvalLevel,
            actionType.requiredApprovals,
            actionType.approverRoles,
            actionType.approvalTtlSeconds,
            JSON.stringify(actionType.allowedScopes),
            actionType.mintsGrant,
            policy.hash,
            actionType.handler,
            actionType.immediate,
            actionType.maxAttempts,
            actionType.slaClass,
            actionType.allowedUrls,
          ],
        );
      }
      await this.uow.query(`UPDATE action_types SET retired_at = now() WHERE retired_at IS NULL AND NOT (code = ANY($1))`, [
        policy.actionTypes.map((actionType) => actionType.code),
      ]);
    });
  }
}
