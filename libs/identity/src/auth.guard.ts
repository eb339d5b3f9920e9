import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { databaseUnavailable, isDatabaseUnavailable } from '@lib/database';
import { AuthenticatedRequest, PERMISSION_KEY, PUBLIC_KEY } from './auth.decorators';

import { IdentityService } from './identity.service';
import { Permission } from './permissions';
import { IdentityErrorCode, IdentityException } from './identity.exception';

/**
 * Global guard, deny by default: a route must declare a permission (or be explicitly public),
 * the request must carry a bearer credential (an API key, or an access token from the identity
 * provider) that is accepted now, and its principal must hold the permission. Any error inside
 * the guard denies the request; a credential that could not be checked (the database or the
 * identity provider is down) is a 503, never a 401.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly identity: IdentityService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) === true) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { headers: Record<string, string | string[] | undefined> }>();
    const credential = bearerToken(request.headers.authorization);
    if (!credential) {
      throw new IdentityException(
        IdentityErrorCode.Unauthenticated,
        'an Authorization: Bearer <API key or access token> header is required',
      );
    }
    let principal;
    try {
      principal = await this.identity.authenticate(credential, request.id);
    } catch (error) {
      if (error instanceof IdentityException) throw error;
      // Denied either way; but a credential that could not be looked up is not an unknown one: a
      // client that treats 401 as final must not give up because the database is restarting.
      if (isDatabaseUnavailable(error)) throw databaseUnavailable();
      this.logger.error({ err: error }, 'authentication failed with an error; denying');
      throw error;
    }
    if (!permission) {
      throw new IdentityException(IdentityErrorCode.Forbidden, 'this route declares no permission and is closed');
    }
    if (!principal.can(permission)) {
      throw new IdentityException(IdentityErrorCode.Forbidden, `this principal lacks the permission ${permission}`, { permission });
    }
    request.principal = principal;
    return true;
  }
}

/** JWTs are longer than keys: 8 KiB is room for any access token an identity provider issues. */
function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S{1,8192})\s*$/i.exec(header);
  return match ? match[1] : null;
}
