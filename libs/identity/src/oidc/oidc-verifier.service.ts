import { Injectable, Logger } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, JWTPayload } from 'jose';
import { AppConfig, OidcSettings } from '@lib/config';

import { loadOidcRules, OidcRules } from './oidc-rules';
import { IdentityErrorCode, IdentityException } from '../identity.exception';

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
/** How far in the future `iat` may be (clock skew), in seconds. */
const ISSUED_AHEAD_S = 60;
/** In code points; the subject is a principal's identity, the token id its recorded credential. */
const SUBJECT_MAX = 255;
const TOKEN_ID_MAX = 200;

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
    if (!settings) throw refused(IdentityErrorCode.TokenNotAccepted, 'sign-in with access tokens is not configured; use an API key');
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw refused(IdentityErrorCode.TokenInvalid, 'the bearer token is not a well-formed JWT');
    }
    // Said before any key is looked up: a token of another issuer is never checked against ours.
    if (unverified.iss !== settings.issuer)
      throw refused(IdentityErrorCode.TokenWrongIssuer, 'the token was not issued by the configured issuer');
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
        subject: claimText(payload.sub, 'sub', SUBJECT_MAX),
        tokenId: payload.jti === undefined ? null : claimText(payload.jti, 'jti', TOKEN_ID_MAX),
        claims: boundedLifetime(payload, settings.maxTokenLifetimeSeconds),
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

/**
 * A claim that names something stored (the subject of a principal, the token id of a recorded
 * credential) must be text that can be stored as it is: a string of 1 to `max` code points,
 * without control characters or a lone surrogate. Anything else is the issuer's error and is
 * refused (401 token_claim_invalid), never truncated into another identity.
 */
function claimText(value: unknown, claim: string, max: number): string {
  const storable = typeof value === 'string' && value.isWellFormed() && !/[\u0000-\u001f\u007f]/.test(value);
  const length = typeof value === 'string' ? [...value].length : 0;
  if (!storable || length === 0 || length > max) {
    throw refused(IdentityErrorCode.TokenClaimInvalid, `the token's ${claim} claim must be text of 1 to ${max} characters`, { claim });
  }
  return value;
}

/** A token issued in the future (beyond the skew), or that claims to live longer than allowed, is refused. */
function boundedLifetime(payload: JWTPayload, maxLifetimeSeconds: number): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const exp = payload.exp as number;
  if (payload.iat !== undefined && payload.iat > now + ISSUED_AHEAD_S) {
    throw refused(IdentityErrorCode.TokenClaimInvalid, 'the token was issued in the future (iat)', { claim: 'iat' });
  }
  if (exp - Math.min(payload.iat ?? now, now) > maxLifetimeSeconds) {
    throw refused(IdentityErrorCode.TokenClaimInvalid, `the token claims a lifetime longer than ${maxLifetimeSeconds} s`, {
      claim: 'exp',
    });
  }
  return payload;
}

function refusalOf(error: unknown): IdentityException {
  if (error instanceof IdentityException) return error;
  if (error instanceof errors.JWTExpired) return refused(IdentityErrorCode.TokenExpired, 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return refused(IdentityErrorCode.TokenWrongAudience, 'the token is not meant for this service (audience)');
    if (error.claim === 'iss') return refused(IdentityErrorCode.TokenWrongIssuer, 'the token was not issued by the configured issuer');
    return refused(IdentityErrorCode.TokenInvalid, `the token's ${error.claim} claim is not acceptable`);
  }
  if (error instanceof errors.JWKSNoMatchingKey)
    return refused(IdentityErrorCode.TokenUnknownSigningKey, 'the token is signed with a key the issuer does not publish');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isFetchFailure(error)) return unavailable(error);
  return refused(IdentityErrorCode.TokenInvalid, 'the token is not valid');
}

function refused(code: IdentityErrorCode, message: string, details?: Record<string, unknown>): IdentityException {
  return new IdentityException(code, message, details);
}

const log = new Logger('OidcVerifier');

/** The cause (an address, a status) goes to the log only: the caller, not yet signed in, learns nothing of the network. */
function unavailable(cause: unknown): IdentityException {
  log.warn(`the identity provider cannot be reached: ${cause instanceof Error ? cause.message.slice(0, 200) : 'unknown'}`);
  return new IdentityException(IdentityErrorCode.IdentityProviderUnavailable, 'the identity provider cannot be reached; try again shortly');
}

/** The key set could not be fetched: the connection failed, or the issuer did not answer 200. */
function isFetchFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR.*)$/.test(code)) return true;
  // An issuer that answers with something other than a key set (not JSON, an error page) is broken, not the token.
  return /Expected 200 OK|fetch failed|JSON Web Key Set/i.test(error.message);
}
