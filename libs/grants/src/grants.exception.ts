import { DomainException } from '@lib/common';

export enum GrantErrorCode {
  GrantNotFound = 'grant_not_found',
  InvalidAuthCode = 'invalid_auth_code',
  GrantAlreadyConsumed = 'grant_already_consumed',
  GrantExpired = 'grant_expired',
  GrantRevoked = 'grant_revoked',
}

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    grants: GrantErrorCode;
  }
}

export class GrantException extends DomainException<GrantErrorCode> {}
