import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { Permission } from './permissions';
import { Principal } from './principal';

export const PERMISSION_KEY = 'governance:permission';
export const PUBLIC_KEY = 'governance:public';

/** Marks a route that needs no principal (health probes). Explicit, never a default. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The OpenAPI security schemes (see apps/api/src/openapi.ts): an API key, or an access token from the identity provider. */
export const API_KEY_SCHEME = 'api_key';
export const OIDC_SCHEME = 'oidc';

/**
 * A route's one line of intent: it needs a principal (an API key or an access token) holding this
 * permission. The guard refuses a route without it (or @Public); the OpenAPI document says the
 * route takes either credential, and its builder adds every credential refusal to it.
 */
export const Authenticated = (permission: Permission) =>
  applyDecorators(SetMetadata(PERMISSION_KEY, permission), ApiSecurity(API_KEY_SCHEME), ApiSecurity(OIDC_SCHEME));

export interface AuthenticatedRequest {
  id: string;
  principal?: Principal;
}

/** The caller of a route: its principal, in this request (`caller.ctx` is the command's actor and request id). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('no principal on an authenticated route');
  return request.principal.inRequest(request.id);
});
