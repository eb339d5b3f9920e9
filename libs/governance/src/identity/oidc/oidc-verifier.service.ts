import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, JWTPayload } from 'jose';
import { AppConfig, OidcSettings } from '@lib/config';
import { GovernanceErrorCode, GovernanceException } from '../../governance.exception';
import { loadOidcRules, OidcRules } from './oidc-rules';

/** A verified access token: who it names and what its claims say. */
export interface VerifiedToken {
  readonly issuer: string;
  readonly subject: string;
  /** The token's id (`jti`), when it has one: the credential the audit trail records. */
  readonly tokenId: string | null;
  readonly claims: JWTPayload;
}

/** Signing algorithms accepted from the issuer (never `none`, never a shared secret). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** An unknown key id makes the key set be fetched again, at most this often. */
const JWKS_COOLDOWN_MS = 1000;
const JWKS_TIMEOUT_MS = 5000;
const CLOCK_TOLERANCE_S = 30;

/**
 * Verifies access tokens (JWT) from the one issuer the configuration names: signed by a key the
 * issuer publishes (fetched from its JWKS, again when a token names a key not seen yet, so a key
 * rotated at the issuer is picked up), by that issuer, for our audience, within its lifetime.
 * Each refusal is a 401 with a code of its own; an issuer that cannot be reached is a 503.
 */
@Injectable()
export class OidcVerifierService {
  private readonly settings: OidcSettings | null;
  readonly rules: OidcRules | null;
  private keySet: ReturnType<typeof createRemoteJWKSet> | null = null;
  private discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;

  constructor(config: AppConfig) {
    this.settings = config.values.oidc;
    // Read at start: a bad rules file stops the process with a message naming the field.
    this.rules = this.settings ? loadOidcRules(this.settings.rulesFile) : null;
  }

  get enabled(): boolean {
    return this.settings !== null;
  }

  async verify(token: string): Promise<VerifiedToken> {
    const settings = this.settings;
    if (!settings) throw refused(GovernanceErrorCode.TokenNotAccepted, 'sign-in with access tokens is not configured; use an API key');
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw refused(GovernanceErrorCode.TokenInvalid, 'the bearer token is not a well-formed JWT');
    }
    // Said before any key is looked up: a token of another issuer is never checked against ours.
    if (unverified.iss !== settings.issuer)
      throw refused(GovernanceErrorCode.TokenWrongIssuer, 'the token was not issued by the configured issuer');
    try {
      const { payload } = await jwtVerify(token, await this.jwks(settings), {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp'],
      });
      return {
        issuer: settings.issuer,
        subject: payload.sub as string,
        tokenId: typeof payload.jti === 'string' ? payload.jti.slice(0, 200) : null,
        claims: payload,
      };
    } catch (error) {
      throw refusalOf(error);
    }
  }

  private async jwks(settings: OidcSettings): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.keySet) return this.keySet;
    this.discovering ??= this.jwksUrl(settings)
      .then((url) => createRemoteJWKSet(new URL(url), { cooldownDuration: JWKS_COOLDOWN_MS, timeoutDuration: JWKS_TIMEOUT_MS }))
      .then((keySet) => (this.keySet = keySet))
      .finally(() => (this.discovering = null));
    return this.discovering;
  }

  /** OIDC_JWKS_URL, or the jwks_uri of the issuer's discovery document. */
  private async jwksUrl(settings: OidcSettings): Promise<string> {
    if (settings.jwksUrl) return settings.jwksUrl;
    const response = await fetch(`${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw unavailable(error);
    });
    if (!response.ok) throw unavailable(new Error(`discovery answered ${response.status}`));
    const document = (await response.json().catch(() => null)) as { jwks_uri?: unknown } | null;
    if (typeof document?.jwks_uri !== 'string') throw unavailable(new Error('the discovery document has no jwks_uri'));
    return document.jwks_uri;
  }
}

function refusalOf(error: unknown): GovernanceException {
  if (error instanceof GovernanceException) return error;
  if (error instanceof errors.JWTExpired) return refused(GovernanceErrorCode.TokenExpired, 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return refused(GovernanceErrorCode.TokenWrongAudience, 'the token is not meant for this service (audience)');
    if (error.claim === 'iss') return refused(GovernanceErrorCode.TokenWrongIssuer, 'the token was not issued by the configured issuer');
    return refused(GovernanceErrorCode.TokenInvalid, `the token's ${error.claim} claim is not acceptable`);
  }
  if (error instanceof errors.JWKSNoMatchingKey)
    return refused(GovernanceErrorCode.TokenUnknownSigningKey, 'the token is signed with a key the issuer does not publish');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isFetchFailure(error)) return unavailable(error);
  return refused(GovernanceErrorCode.TokenInvalid, 'the token is not valid');
}

function refused(code: GovernanceErrorCode, message: string): GovernanceException {
  return new GovernanceException(code, message);
}

function unavailable(cause: unknown): GovernanceException {
  return new GovernanceException(
    GovernanceErrorCode.IdentityProviderUnavailable,
    'the identity provider cannot be reached; try again shortly',
    {
      cause: cause instanceof Error ? cause.message.slice(0, 200) : 'unknown',
    },
  );
}

/** The key set could not be fetched: the connection failed, or the issuer did not answer 200. */
function isFetchFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR.*)$/.test(code)) return true;
  return /Expected 200 OK|fetch failed/i.test(error.message);
}
