import { DomainException } from '@lib/common';

export enum GovernanceErrorCode {
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  UnknownAction = 'unknown_action',
  ScopeNotAllowed = 'scope_not_allowed',
  AuditChainNotFound = 'audit_chain_not_found',
}

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    governance: GovernanceErrorCode;
  }
}

export class GovernanceException extends DomainException<GovernanceErrorCode> {}
