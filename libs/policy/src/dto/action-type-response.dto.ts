import { ApiProperty } from '@nestjs/swagger';
import { Role } from '@lib/identity';
import { ActionType, Executor } from '../action-type';

export class AllowedScopesDto {
  /** Glob patterns (`*`) every target must match */
  targets!: string[];
  /** Allowed values of params.namespace */
  namespaces?: string[];
}

export class ActionTypeDto {
  @ApiProperty() code!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ enum: [0, 1, 2, 3] }) approval_level!: number;
  @ApiProperty({ description: 'Quorum: distinct approvers needed (the requester never counts)' }) required_approvals!: number;
  @ApiProperty({ enum: Role, isArray: true }) approver_roles!: Role[];
  @ApiProperty() approval_ttl_seconds!: number;
  @ApiProperty({ type: AllowedScopesDto }) allowed_scopes!: AllowedScopesDto;
  @ApiProperty({ description: 'Approval mints a single-use build authorization' }) mints_grant!: boolean;
  @ApiProperty({ description: 'The handler that carries the action out' }) handler!: string;
  @ApiProperty({
    enum: ['in_process', 'remote'],
    enumName: 'Executor',
    description: "in_process: a built-in handler; remote: the user's own workers claim its runs over the worker protocol",
  })
  executor!: Executor;
  /** A remote action's steps, in order (empty: one step per target) */
  steps!: string[];
  /** Runs inside the create request (read-only, level 0) */
  immediate!: boolean;
  max_attempts!: number;
  /** With the action code, picks the timeout from timeout_policies */
  sla_class!: string;
  /** URL patterns an http.request handler may call */
  allowed_urls!: string[];

  static from(actionType: ActionType): ActionTypeDto {
    return {
      code: actionType.code,
      description: actionType.description,
      approval_level: actionType.approvalLevel,
      required_approvals: actionType.requiredApprovals,
      approver_roles: [...actionType.approverRoles],
      approval_ttl_seconds: actionType.approvalTtlSeconds,
      allowed_scopes: {
        targets: [...actionType.allowedScopes.targets],
        ...(actionType.allowedScopes.namespaces ? { namespaces: [...actionType.allowedScopes.namespaces] } : {}),
      },
      mints_grant: actionType.mintsGrant,
      handler: actionType.handler,
      executor: actionType.executor,
      steps: [...actionType.steps],
      immediate: actionType.immediate,
      max_attempts: actionType.maxAttempts,
      sla_class: actionType.slaClass,
      allowed_urls: [...actionType.allowedUrls],
    };
  }
}

export class ActionTypesResponseDto {
  /** SHA-256 of the canonical JSON of the policy file */
  policy_hash!: string;
  action_types!: ActionTypeDto[];
}
