import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { CommandContext } from '@lib/common';
import { Permission } from './permissions';
import { Principal } from './principal';

export const PERMISSION_KEY = 'governance:permission';
export const PUBLIC_KEY = 'governance:public';

/** The permission a route needs. A route without this (or @Public) is refused by the guard. */
export const RequirePermission = (permission: Permission) => SetMetadata(PERMISSION_KEY, permission);

/** Marks a route that needs no principal (health probes). Explicit, never a default. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The OpenAPI security schemes (see apps/api/src/openapi.ts): an API key, or an access token from the identity provider. */
export const API_KEY_SCHEME = 'api_key';
export const OIDC_SCHEME = 'oidc';

/** Declares, in the OpenAPI document, that a route takes either credential. */
export const ApiCredentials = () => applyDecorators(ApiSecurity(API_KEY_SCHEME), ApiSecurity(OIDC_SCHEME));

export interface AuthenticatedRequest {
  id: string;
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('no principal on an authenticated route');
  return request.principal;
});

/** The actor and request id for the command a route runs. */
export const CurrentContext = createParamDecorator((_data: unknown, context: ExecutionContext): CommandContext => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('no principal on an authenticated route');
  return request.principal.context(request.id);
});
