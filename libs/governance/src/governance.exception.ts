import { DomainException } from '@lib/common';

export enum GovernanceErrorCode {
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  UnknownAction = 'unknown_action',
  ScopeNotAllowed = 'scope_not_allowed',
  AuditChainNotFound = 'audit_chain_not_found',
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
export const GOVERNANCE_ERROR_STATUS: Readonly<Record<GovernanceErrorCode, number>> = {
  [GovernanceErrorCode.Unauthenticated]: 401,
  [GovernanceErrorCode.Forbidden]: 403,
  [GovernanceErrorCode.UnknownAction]: 422,
  [GovernanceErrorCode.ScopeNotAllowed]: 422,
  [GovernanceErrorCode.AuditChainNotFound]: 404,
  [GovernanceErrorCode.ApiKeyRevoked]: 401,
  [GovernanceErrorCode.ApiKeyExpired]: 401,
  [GovernanceErrorCode.ApiKeyNotFound]: 404,
  [GovernanceErrorCode.ApiKeyAlreadyRevoked]: 409,
  [GovernanceErrorCode.PrincipalNotFound]: 404,
  [GovernanceErrorCode.PrincipalDisabled]: 401,
  [GovernanceErrorCode.PrincipalInactive]: 409,
  [GovernanceErrorCode.PrincipalAlreadyDisabled]: 409,
  [GovernanceErrorCode.PrincipalNotDisabled]: 409,
  [GovernanceErrorCode.ApiKeySuspended]: 401,
  [GovernanceErrorCode.TokenClaimInvalid]: 401,
  [GovernanceErrorCode.TokenInvalid]: 401,
  [GovernanceErrorCode.TokenExpired]: 401,
  [GovernanceErrorCode.TokenWrongAudience]: 401,
  [GovernanceErrorCode.TokenWrongIssuer]: 401,
  [GovernanceErrorCode.TokenUnknownSigningKey]: 401,
  [GovernanceErrorCode.TokenNotAccepted]: 401,
  [GovernanceErrorCode.IdentityProviderUnavailable]: 503,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    governance: GovernanceErrorCode;
  }
}

export class GovernanceException extends DomainException<GovernanceErrorCode> {}
