import { Body, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, PageLimitField, QUERY_ERRORS, RequestErrorCode, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Authenticated } from './auth.decorators';

import { Permission } from './permissions';
import { Principal } from './principal';
import { ApiKeyService, keyNotFound } from './api-key.service';
import { ApiKeyDto, ApiKeyListDto, ApiKeyResponseDto, PrincipalDto } from './dto/api-key-response.dto';
import { CreateApiKeyDto, RevokeApiKeyDto } from './dto/create-api-key.dto';
import { IdentityErrorCode } from './identity.exception';

const KEY_ID = new ParseUUIDPipe({ exceptionFactory: () => keyNotFound() });

export class ListApiKeysQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this principal's keys" })
  @IsOptional()
  @IsUUID()
  principal_id?: string;

  @PageLimitField()
  limit?: number;
}

/** The document builder adds every other credential refusal to each secured operation. */
const UNAUTHENTICATED = [IdentityErrorCode.Unauthenticated];

@ApiTags('identity')
@ApiV1Controller()
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Post('api-keys')
  @HttpCode(201)
  @Authenticated(Permission.SelfRead)
  @ApiOperation({
    summary: 'Mint an API key. The key is returned once.',
    description:
      'Without principal_id an admin makes a new service principal holding this key, with role grants only on projects it administers; its name must be free (a name another service or agent principal holds is 409 principal_name_taken, with that principal_id when the caller may see it: mint that one a key with principal_id). ' +
      "With principal_id the key is another key of that principal, holding a subset of its role grants: minted by the principal itself (never wider, nor longer-lived, than the minting key) or by an admin whose grants cover all of the principal's. " +
      "A person's keys, a service approver's and those of a principal with a role on every project are minted only by itself or by an admin of every project. Never a key that acts as a principal wider than its minter.",
  })
  @ApiErrors({
    400: [...BODY_ERRORS, RequestErrorCode.InvalidValue],
    401: UNAUTHENTICATED,
    403: [IdentityErrorCode.Forbidden],
    404: [IdentityErrorCode.PrincipalNotFound],
    409: [IdentityErrorCode.PrincipalInactive, IdentityErrorCode.PrincipalNameTaken],
  })
  @ApiCreatedResponse({ type: ApiKeyResponseDto })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto): Promise<ApiKeyResponseDto> {
    const minted = await this.apiKeys.mint(
      principal,
      {
        name: body.name,
        principalId: body.principal_id,
        grants: body.role_grants?.map((grant) => ({ role: grant.role, project: grant.project_id })),
        roles: body.roles,
        projectIds: body.project_ids,
        serviceApprover: body.service_approver,
        kind: body.kind,
        actsFor: body.acts_for,
        expiresAt: body.expires_at === undefined ? undefined : new Date(body.expires_at),
      },
      principal.ctx,
    );
    return { ...ApiKeyDto.from(minted.row, minted.principalName), key: minted.key };
  }

  @Get('api-keys')
  @Authenticated(Permission.SelfRead)
  @ApiOperation({
    summary: "API keys in the caller's scope (an admin's), or the caller's own; newest first, never with their secret",
    description:
      'For an admin, keys each of whose role grants is on a project it administers, optionally of one principal; for anyone else, its own keys. Shows when each was last used (to the minute), its expiry and its revocation; never the key or its hash.',
  })
  @ApiOkResponse({ type: ApiKeyListDto })
  @ApiErrors({ 400: [...QUERY_ERRORS], 401: UNAUTHENTICATED, 403: [IdentityErrorCode.Forbidden] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListApiKeysQueryDto): Promise<ApiKeyListDto> {
    const rows = await this.apiKeys.list(principal, { principalId: query.principal_id, limit: query.limit ?? 100 });
    return { keys: rows.map((row) => ApiKeyDto.from(row, row.principal_name)) };
  }

  @Post('api-keys/:id/revoke')
  @HttpCode(200)
  @Authenticated(Permission.SelfRead)
  @ApiOperation({
    summary: 'Revoke an API key, with a reason: refused at once by every instance and worker',
    description:
      'An admin revokes keys in its scope; anyone revokes the keys of its own principal. Runs requested with the key are refused by the workers.',
  })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiErrors({
    400: [...BODY_ERRORS],
    401: UNAUTHENTICATED,
    403: [IdentityErrorCode.Forbidden],
    404: [IdentityErrorCode.ApiKeyNotFound],
    409: [IdentityErrorCode.ApiKeyAlreadyRevoked],
  })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', KEY_ID) id: string,
    @Body() body: RevokeApiKeyDto,
  ): Promise<ApiKeyDto> {
    const revoked = await this.apiKeys.revoke(principal, { keyId: id, reason: body.reason }, principal.ctx);
    return ApiKeyDto.from(revoked, revoked.principal_id === principal.id ? principal.name : revoked.name);
  }

  @Get('principals/me')
  @Authenticated(Permission.SelfRead)
  @ApiOperation({
    summary: 'Who the caller is: its principal, roles and scopes as this credential allows them',
    description:
      "The principal behind the credential of this request (a service's key, or a person's SSO token), with the role grants the credential allows (each role on its project), and the credential itself (api_key:<id> or oidc:<token id>).",
  })
  @ApiOkResponse({ type: PrincipalDto })
  @ApiErrors({ 401: UNAUTHENTICATED, 403: [IdentityErrorCode.Forbidden] })
  me(@CurrentPrincipal() principal: Principal): PrincipalDto {
    return PrincipalDto.of(principal);
  }
}
