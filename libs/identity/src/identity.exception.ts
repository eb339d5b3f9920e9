import { DomainException } from '@lib/common';

/** Who is calling and what it may do: credentials, principals, permissions. */
export enum IdentityErrorCode {
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  ApiKeyRevoked = 'api_key_revoked',
  ApiKeyExpired = 'api_key_expired',
  ApiKeyNotFound = 'api_key_not_found',
  ApiKeyAlreadyRevoked = 'api_key_already_revoked',
  PrincipalNotFound = 'principal_not_found',
  /** Every credential of a disabled principal is refused. */
  PrincipalDisabled = 'principal_disabled',
  /** A disabled principal gets no new key and no new designation: enable it first. */
  PrincipalInactive = 'principal_inactive',
  PrincipalAlreadyDisabled = 'principal_already_disabled',
  PrincipalNotDisabled = 'principal_not_disabled',
  /** A new service or agent principal under a name another one holds: mint that one a key (principal_id) or choose another name. */
  PrincipalNameTaken = 'principal_name_taken',
  /** The key of a person who has not signed in through the identity provider for longer than allowed. */
  ApiKeySuspended = 'api_key_suspended',
  /** A claim of a signed token that cannot name a principal (sub, jti) or is out of bounds (iat, lifetime). */
  TokenClaimInvalid = 'token_claim_invalid',
  /** A bearer token that is not a valid JWT of the issuer (malformed, bad signature, a claim out of bounds). */
  TokenInvalid = 'token_invalid',
  TokenExpired = 'token_expired',
  TokenWrongAudience = 'token_wrong_audience',
  TokenWrongIssuer = 'token_wrong_issuer',
  /** Signed with a key the issuer does not publish (after fetching its key set again). */
  TokenUnknownSigningKey = 'token_unknown_signing_key',
  /** A token where sign-in with tokens is not configured. */
  TokenNotAccepted = 'token_not_accepted',
  IdentityProviderUnavailable = 'identity_provider_unavailable',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const IDENTITY_ERROR_STATUS: Readonly<Record<IdentityErrorCode, number>> = {
  [IdentityErrorCode.Unauthenticated]: 401,
  [IdentityErrorCode.Forbidden]: 403,
  [IdentityErrorCode.ApiKeyRevoked]: 401,
  [IdentityErrorCode.ApiKeyExpired]: 401,
  [IdentityErrorCode.ApiKeyNotFound]: 404,
  [IdentityErrorCode.ApiKeyAlreadyRevoked]: 409,
  [IdentityErrorCode.PrincipalNotFound]: 404,
  [IdentityErrorCode.PrincipalDisabled]: 401,
  [IdentityErrorCode.PrincipalInactive]: 409,
  [IdentityErrorCode.PrincipalAlreadyDisabled]: 409,
  [IdentityErrorCode.PrincipalNotDisabled]: 409,
  [IdentityErrorCode.PrincipalNameTaken]: 409,
  [IdentityErrorCode.ApiKeySuspended]: 401,
  [IdentityErrorCode.TokenClaimInvalid]: 401,
  [IdentityErrorCode.TokenInvalid]: 401,
  [IdentityErrorCode.TokenExpired]: 401,
  [IdentityErrorCode.TokenWrongAudience]: 401,
  [IdentityErrorCode.TokenWrongIssuer]: 401,
  [IdentityErrorCode.TokenUnknownSigningKey]: 401,
  [IdentityErrorCode.TokenNotAccepted]: 401,
  [IdentityErrorCode.IdentityProviderUnavailable]: 503,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    identity: IdentityErrorCode;
  }
}

export class IdentityException extends DomainException<IdentityErrorCode> {}
