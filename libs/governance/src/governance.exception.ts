import { DomainException } from '@lib/common';

export enum GovernanceErrorCode {
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
}

export class GovernanceException extends DomainException<GovernanceErrorCode> {
  constructor(code: GovernanceErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
