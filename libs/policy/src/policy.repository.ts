import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { Policy } from './action-type';
import { ACTION_TYPES_TABLE, POLICY_VERSIONS_TABLE } from './policy.table';

/** A fixed advisory-lock key: processes starting together record the policy one at a time. */
const POLICY_LOCK_KEY = 4_242_002;

/** The governance lib's SQL for policy_versions and action_types. */
@Injectable()
export class PolicyRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Records this policy version and its action types; types no longer in the file are retired, never deleted. */
  async record(policy: Policy): Promise<void> {
    await this.uow.run(async () => {
      await this.uow.query(`SELECT pg_advisory_xact_lock($1)`, [POLICY_LOCK_KEY]);
      await this.uow.query(`INSERT INTO ${POLICY_VERSIONS_TABLE.name} (hash, document) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING`, [
        policy.hash,
        JSON.stringify(policy.document),
      ]);
      for (const actionType of policy.actionTypes) {
        await this.uow.query(
          `INSERT INTO ${ACTION_TYPES_TABLE.name} (code, description, approval_level, required_approvals, approver_roles, approval_ttl_seconds,
                                     allowed_scopes, mints_grant, policy_hash, handler, immediate, max_attempts, sla_class, allowed_urls)
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
      await this.uow.query(`UPDATE ${ACTION_TYPES_TABLE.name} SET retired_at = now() WHERE retired_at IS NULL AND NOT (code = ANY($1))`, [
        policy.actionTypes.map((actionType) => actionType.code),
      ]);
    });
  }
}
