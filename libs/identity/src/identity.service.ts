import { Injectable, Logger } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';

import { grantsToText, Principal } from './principal';
import { ApiKeyService, KEY_PREFIX, KeyRefusal } from './api-key.service';
import { grantsOf, nameOf } from './oidc/oidc-rules';
import { OidcVerifierService, VerifiedToken } from './oidc/oidc-verifier.service';
import { PrincipalRepository } from './principal.repository';
import { IdentityErrorCode, IdentityException } from './identity.exception';

/** At most this many failed sign-ins are audited per second and process; the rest are counted in the log (a flood must not flood the trail). */
const AUDITED_FAILURES_PER_SECOND = 20;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const KEY_REFUSALS: Readonly<Record<KeyRefusal, { code: IdentityErrorCode; message: string }>> = {
  unknown: { code: IdentityErrorCode.Unauthenticated, message: 'unknown API key' },
  revoked: { code: IdentityErrorCode.ApiKeyRevoked, message: 'this API key was revoked' },
  expired: { code: IdentityErrorCode.ApiKeyExpired, message: 'this API key has expired' },
  disabled: { code: IdentityErrorCode.PrincipalDisabled, message: 'the principal of this API key is disabled' },
  suspended: {
    code: IdentityErrorCode.ApiKeySuspended,
    message: 'this API key is suspended: its person has not signed in for too long; signing in through the identity provider lifts it',
  },
};

/**
 * Who is calling. A bearer credential is either an API key (services) or an access token from
 * the organisation's identity provider (people signing in through SSO), told apart by its form: a
 * JWT signs in; anything else is looked up as a key, and one that is neither a key we know nor in
 * a minted key's form (cpk_…) is, where sign-in is configured, a bad token (token_invalid).
 * A person is the principal of (issuer, subject), made the first time it is seen (audited), with
 * the roles and scopes the configured rules give its token's claims at each sign-in. Every
 * refusal is a 401 with its own code, audited without the credential itself.
 */
@Injectable()
export class IdentityService {
  private readonly logger = new Logger(IdentityService.name);
  private failureWindow = { second: 0, audited: 0, dropped: 0 };

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly apiKeys: ApiKeyService,
    private readonly oidc: OidcVerifierService,
    private readonly principals: PrincipalRepository,
  ) {}

  async authenticate(credential: string, requestId: string): Promise<Principal> {
    return JWT.test(credential) ? this.signIn(credential, requestId) : this.byKey(credential, requestId);
  }

  private async byKey(key: string, requestId: string): Promise<Principal> {
    const result = await this.apiKeys.authenticate(key);
    if ('principal' in result) return result.principal;
    if (result.refused === 'unknown' && !key.startsWith(KEY_PREFIX) && this.oidc.enabled) {
      // Not a key we know, and not in a minted key's form: most likely an identity provider's
      // access token that is not a JWT (an opaque or encrypted one), which "unknown API key" would hide.
      await this.auditFailure(requestId, { method: 'oidc', reason: IdentityErrorCode.TokenInvalid });
      throw new IdentityException(
        IdentityErrorCode.TokenInvalid,
        'the bearer credential is neither a known API key (cpk_…) nor an access token in JWT form (three base64url parts: header.payload.signature); the identity provider must issue signed JWT access tokens, not opaque or encrypted ones',
      );
    }
    const refusal = KEY_REFUSALS[result.refused];
    await this.auditFailure(requestId, { method: 'api_key', reason: refusal.code, api_key_id: result.keyId ?? null }, result.principalId);
    throw new IdentityException(refusal.code, refusal.message);
  }

  private async signIn(token: string, requestId: string): Promise<Principal> {
    let verified: VerifiedToken;
    try {
      verified = await this.oidc.verify(token);
    } catch (error) {
      if (error instanceof IdentityException && error.code !== IdentityErrorCode.IdentityProviderUnavailable) {
        await this.auditFailure(requestId, { method: 'oidc', reason: error.code });
      }
      throw error;
    }
    const rules = this.oidc.rules;
    if (!rules) throw new IdentityException(IdentityErrorCode.TokenNotAccepted, 'sign-in with access tokens is not configured');
    const grants = grantsOf(rules, verified.claims);
    const roleGrants = grantsToText(grants);
    const name = nameOf(rules, verified.claims, verified.subject);
    const principal = await this.uow.run(async () => {
      const known = await this.principals.findByIdentity(verified.issuer, verified.subject);
      if (known) {
        // A disabled person stays who they are; their grants are refreshed when they are enabled and sign in.
        if (!known.disabled_at) await this.principals.updateSignedIn({ id: known.id, name, roleGrants });
        return known;
      }
      const made = await this.principals.insertSignedIn({ issuer: verified.issuer, subject: verified.subject, name, roleGrants });
      if (!made) return this.principals.findByIdentity(verified.issuer, verified.subject);
      await this.audit.record({
        type: AuditEventType.PrincipalFirstSeen,
        ctx: { actor: { id: made.id, kind: 'person', credential: credentialOf(verified) }, requestId },
        data: {
          principal_id: made.id,
          issuer: verified.issuer,
          subject: verified.subject,
          name,
          role_grants: roleGrants,
        },
      });
      return made;
    });
    if (!principal) throw new IdentityException(IdentityErrorCode.TokenInvalid, 'the token names no principal');
    if (principal.disabled_at) {
      await this.auditFailure(requestId, { method: 'oidc', reason: IdentityErrorCode.PrincipalDisabled }, principal.id);
      throw new IdentityException(IdentityErrorCode.PrincipalDisabled, 'this person is disabled');
    }
    return new Principal(principal.id, name, grants, { kind: 'person', credential: credentialOf(verified) });
  }

  /** A failed sign-in, audited (by reason, never with the credential), within a per-second budget. */
  private async auditFailure(requestId: string, data: Record<string, unknown>, principalId?: string): Promise<void> {
    const second = Math.floor(Date.now() / 1000);
    if (this.failureWindow.second !== second) {
      if (this.failureWindow.dropped > 0)
        this.logger.warn({ dropped: this.failureWindow.dropped }, 'failed sign-ins not audited (over the per-second budget)');
      this.failureWindow = { second, audited: 0, dropped: 0 };
    }
    if (this.failureWindow.audited >= AUDITED_FAILURES_PER_SECOND) {
      this.failureWindow.dropped++;
      return;
    }
    this.failureWindow.audited++;
    const ctx: CommandContext = { actor: { id: principalId ?? 'anonymous', kind: 'system' }, requestId };
    try {
      await this.uow.run(() => this.audit.record({ type: AuditEventType.AuthSignInFailed, ctx, data }));
    } catch (error) {
      // The refusal stands either way; a trail that cannot be written is logged, not a 500.
      this.logger.warn({ err: error, request_id: requestId }, 'could not audit a failed sign-in');
    }
  }
}

function credentialOf(token: VerifiedToken): string {
  return `oidc:${token.tokenId ?? 'token'}`;
}
