import { Injectable, OnModuleInit } from '@nestjs/common';
import { resolve } from 'node:path';
import { AppConfig } from '@lib/config';
import { ActionType, Policy } from './action-type';
import { loadPolicyFile } from './policy-file';
import { PolicyRepository } from './policy.repository';
import { findScopeViolation } from './scope';
import { PolicyErrorCode, PolicyException } from './policy.exception';

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

  constructor(
    private readonly config: AppConfig,
    private readonly repository: PolicyRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    const path = resolve(this.config.values.policyFile);
    const policy = loadPolicyFile(path);
    await this.repository.record(policy);
    this.policy = policy;
    this.byCode = new Map(policy.actionTypes.map((actionType) => [actionType.code, actionType]));
  }

  get hash(): string {
    return this.current().hash;
  }

  list(): readonly ActionType[] {
    return this.current().actionTypes;
  }

  /** The codes of the actions the user's workers carry out (executor `remote`). */
  remoteActions(): string[] {
    return this.list()
      .filter((actionType) => actionType.executor === 'remote')
      .map((actionType) => actionType.code);
  }

  find(code: string): ActionType | undefined {
    this.current();
    return this.byCode.get(code);
  }

  /** Fail closed: an action without a policy is refused. */
  getActionTypeOrFail(code: string): ActionType {
    const actionType = this.find(code);
    if (!actionType) throw new PolicyException(PolicyErrorCode.UnknownAction, `no action type "${code}" in the policy`, { action: code });
    return actionType;
  }

  assertScopeAllowed(actionType: ActionType, plan: { targets: readonly string[]; params: Record<string, unknown> }): void {
    const violation = findScopeViolation(actionType, plan);
    if (violation) {
      throw new PolicyException(
        PolicyErrorCode.ScopeNotAllowed,
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
}
