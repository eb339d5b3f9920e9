import { DomainException } from '@lib/common';

/** What the policy allows: action types, their scopes, and the audit trail one may read. */
export enum PolicyErrorCode {
  UnknownAction = 'unknown_action',
  /** A path names an action type the policy does not have (a run naming one is unknown_action, 422). */
  ActionNotFound = 'action_not_found',
  ScopeNotAllowed = 'scope_not_allowed',
  AuditChainNotFound = 'audit_chain_not_found',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const POLICY_ERROR_STATUS: Readonly<Record<PolicyErrorCode, number>> = {
  [PolicyErrorCode.UnknownAction]: 422,
  [PolicyErrorCode.ActionNotFound]: 404,
  [PolicyErrorCode.ScopeNotAllowed]: 422,
  [PolicyErrorCode.AuditChainNotFound]: 404,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    policy: PolicyErrorCode;
  }
}

export class PolicyException extends DomainException<PolicyErrorCode> {}
