import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { databaseUnavailable, isDatabaseUnavailable } from '@lib/database';
import { ApiKeyService } from './api-key.service';
import { AuthenticatedRequest, PERMISSION_KEY, PUBLIC_KEY } from './auth.decorators';
import { GovernanceErrorCode, GovernanceException } from './governance.exception';
import { Permission } from './permissions';

/**
 * Global guard, deny by default: a route must declare a permission (or be explicitly public),
 * the request must carry a known bearer key, and the key must hold the permission. Any error
 * inside the guard denies the request.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) === true) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { headers: Record<string, string | string[] | undefined> }>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new GovernanceException(GovernanceErrorCode.Unauthenticated, 'an Authorization: Bearer <key> header is required');
    let principal;
    try {
      principal = await this.apiKeys.authenticate(token);
    } catch (error) {
      // Denied either way; but a key that could not be looked up is not an unknown key: a client
      // that treats 401 as final must not give up because the database is restarting.
      if (isDatabaseUnavailable(error)) throw databaseUnavailable();
      this.logger.error({ err: error }, 'authentication failed with an error; denying');
      throw error;
    }
    if (!principal) throw new GovernanceException(GovernanceErrorCode.Unauthenticated, 'unknown or revoked API key');
    if (!permission) {
      throw new GovernanceException(GovernanceErrorCode.Forbidden, 'this route declares no permission and is closed');
    }
    if (!principal.can(permission)) {
      throw new GovernanceException(GovernanceErrorCode.Forbidden, `this key lacks the permission ${permission}`, { permission });
    }
    request.principal = principal;
    return true;
  }
}

function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
  return match ? match[1] : null;
}
