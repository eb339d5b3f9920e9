import { DomainException } from '@lib/common';

export enum GrantErrorCode {
  GrantNotFound = 'grant_not_found',
  InvalidAuthCode = 'invalid_auth_code',
  GrantAlreadyConsumed = 'grant_already_consumed',
  GrantExpired = 'grant_expired',
  GrantRevoked = 'grant_revoked',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const GRANT_ERROR_STATUS: Readonly<Record<GrantErrorCode, number>> = {
  [GrantErrorCode.GrantNotFound]: 404,
  [GrantErrorCode.InvalidAuthCode]: 400,
  [GrantErrorCode.GrantAlreadyConsumed]: 409,
  [GrantErrorCode.GrantExpired]: 409,
  [GrantErrorCode.GrantRevoked]: 409,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    grants: GrantErrorCode;
  }
}

export class GrantException extends DomainException<GrantErrorCode> {}
