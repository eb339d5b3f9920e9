import { Body, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, KnownErrorCode, RequestErrorCode, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated, IdentityErrorCode } from '@lib/identity';
import { ApprovalErrorCode, RequiresApprovedRun } from '@lib/approval';
import { ParseAuthCodePipe } from './auth-code.pipe';
import { GrantResponseDto } from './dto/grant-response.dto';
import { RevokeGrantDto } from './dto/revoke-grant.dto';
import { GrantRunLocator } from './grant-run.locator';
import { GrantService } from './grant.service';
import { GrantErrorCode } from './grants.exception';

const AUTH = {
  401: [IdentityErrorCode.Unauthenticated],
  403: [IdentityErrorCode.Forbidden],
  404: [GrantErrorCode.GrantNotFound],
} satisfies Record<number, readonly KnownErrorCode[]>;

@ApiTags('grants')
@ApiV1Controller('grants')
export class GrantsController {
  constructor(private readonly grants: GrantService) {}

  @Get(':auth_code')
  @Authenticated(Permission.GrantRead)
  @ApiOperation({
    summary: 'Read a build authorization',
    description: 'A grant of a project the caller does not cover answers 404 like an unknown one.',
  })
  @ApiOkResponse({ type: GrantResponseDto })
  @ApiErrors({ 400: [GrantErrorCode.InvalidAuthCode], ...AUTH })
  async get(@CurrentPrincipal() principal: Principal, @Param('auth_code', ParseAuthCodePipe) authCode: string): Promise<GrantResponseDto> {
    return GrantResponseDto.from(await this.grants.get(principal, authCode));
  }

  @Post(':auth_code/consume')
  @HttpCode(200)
  @Authenticated(Permission.GrantConsume)
  @RequiresApprovedRun(GrantRunLocator, { afterExecution: true })
  @ApiOperation({
    summary: "Use the grant, once. Guarded by the approval gate: the run's approval must still be approved, unexpired and for its plan.",
    description:
      'A compare-and-set from active to consumed: of two consumers racing, one wins and the other gets 409 grant_already_consumed. An expired or revoked grant is 409 with its own code.',
  })
  @ApiOkResponse({ type: GrantResponseDto })
  @ApiErrors({
    400: [GrantErrorCode.InvalidAuthCode],
    ...AUTH,
    409: [
      ApprovalErrorCode.ApprovalRequired,
      GrantErrorCode.GrantAlreadyConsumed,
      GrantErrorCode.GrantExpired,
      GrantErrorCode.GrantRevoked,
    ],
  })
  async consume(
    @CurrentPrincipal() principal: Principal,
    @Param('auth_code', ParseAuthCodePipe) authCode: string,
  ): Promise<GrantResponseDto> {
    return GrantResponseDto.from(await this.grants.consume(principal, authCode, principal.ctx));
  }

  @Post(':auth_code/revoke')
  @HttpCode(200)
  @Authenticated(Permission.GrantRevoke)
  @ApiOperation({
    summary: 'Revoke an active grant, with a reason',
    description: 'An approver or admin ends an active grant before its expiry; the reason is kept and audited.',
  })
  @ApiOkResponse({ type: GrantResponseDto })
  @ApiErrors({
    400: [GrantErrorCode.InvalidAuthCode, RequestErrorCode.MissingField, RequestErrorCode.InvalidLength, RequestErrorCode.InvalidFormat],
    ...AUTH,
    409: [GrantErrorCode.GrantAlreadyConsumed, GrantErrorCode.GrantExpired, GrantErrorCode.GrantRevoked],
  })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('auth_code', ParseAuthCodePipe) authCode: string,
    @Body() body: RevokeGrantDto,
  ): Promise<GrantResponseDto> {
    return GrantResponseDto.from(await this.grants.revoke(principal, { authCode, reason: body.reason }, principal.ctx));
  }
}
