import { Body, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Authenticated } from './auth.decorators';

import { Permission } from './permissions';
import { Principal } from './principal';
import { PrincipalDetailDto } from './dto/api-key-response.dto';
import { PrincipalChangeDto, ServiceApproverDto } from './dto/create-api-key.dto';
import { principalNotFound, PrincipalService } from './principal.service';
import { IdentityErrorCode } from './identity.exception';

const PRINCIPAL_ID = new ParseUUIDPipe({ exceptionFactory: () => principalNotFound() });
const UNAUTHENTICATED = [IdentityErrorCode.Unauthenticated];

@ApiTags('identity')
@ApiV1Controller('principals')
export class PrincipalsController {
  constructor(private readonly principals: PrincipalService) {}

  @Get(':id')
  @Authenticated(Permission.SelfRead)
  @ApiOperation({
    summary: 'A principal: its role grants, whether its votes count, whether it is disabled',
    description: "One's own principal, or (an admin) one in its scope; others answer 404 like an id that does not exist.",
  })
  @ApiOkResponse({ type: PrincipalDetailDto })
  @ApiErrors({ 401: UNAUTHENTICATED, 403: [IdentityErrorCode.Forbidden], 404: [IdentityErrorCode.PrincipalNotFound] })
  async get(@CurrentPrincipal() caller: Principal, @Param('id', PRINCIPAL_ID) id: string): Promise<PrincipalDetailDto> {
    return PrincipalDetailDto.from(await this.principals.get(caller, id));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Authenticated(Permission.PrincipalManage)
  @ApiOperation({
    summary: 'Disable a principal, with a reason: every credential of it is refused at the next request, on every instance',
    description:
      "An admin whose grants cover all of the principal's (a person's, a service approver's, or one with a role on every project: an admin of every project). Runs it requested are refused by the workers. Never oneself.",
  })
  @ApiOkResponse({ type: PrincipalDetailDto })
  @ApiErrors({
    400: [...BODY_ERRORS],
    401: UNAUTHENTICATED,
    403: [IdentityErrorCode.Forbidden],
    404: [IdentityErrorCode.PrincipalNotFound],
    409: [IdentityErrorCode.PrincipalAlreadyDisabled],
  })
  async disable(
    @CurrentPrincipal() caller: Principal,
    @Param('id', PRINCIPAL_ID) id: string,
    @Body() body: PrincipalChangeDto,
  ): Promise<PrincipalDetailDto> {
    return PrincipalDetailDto.from(await this.principals.disable(caller, { id, reason: body.reason }, caller.ctx));
  }

  @Post(':id/enable')
  @HttpCode(200)
  @Authenticated(Permission.PrincipalManage)
  @ApiOperation({
    summary: 'Enable a disabled principal again, with a reason',
    description: 'The same admins as for disabling. Its keys that were not revoked work again.',
  })
  @ApiOkResponse({ type: PrincipalDetailDto })
  @ApiErrors({
    400: [...BODY_ERRORS],
    401: UNAUTHENTICATED,
    403: [IdentityErrorCode.Forbidden],
    404: [IdentityErrorCode.PrincipalNotFound],
    409: [IdentityErrorCode.PrincipalNotDisabled],
  })
  async enable(
    @CurrentPrincipal() caller: Principal,
    @Param('id', PRINCIPAL_ID) id: string,
    @Body() body: PrincipalChangeDto,
  ): Promise<PrincipalDetailDto> {
    return PrincipalDetailDto.from(await this.principals.enable(caller, { id, reason: body.reason }, caller.ctx));
  }

  @Put(':id/service-approver')
  @HttpCode(200)
  @Authenticated(Permission.PrincipalManage)
  @ApiOperation({
    summary: 'Mark a service principal as an approver whose votes count, or unmark it (an admin of every project), with a reason',
    description:
      'Approvals are decisions of people: a vote counts only from a person, unless the voter is a service principal marked here. Audited as principal.service_approver_changed.',
  })
  @ApiOkResponse({ type: PrincipalDetailDto })
  @ApiErrors({
    400: [...BODY_ERRORS],
    401: UNAUTHENTICATED,
    403: [IdentityErrorCode.Forbidden],
    404: [IdentityErrorCode.PrincipalNotFound],
    409: [IdentityErrorCode.PrincipalInactive],
  })
  async setServiceApprover(
    @CurrentPrincipal() caller: Principal,
    @Param('id', PRINCIPAL_ID) id: string,
    @Body() body: ServiceApproverDto,
  ): Promise<PrincipalDetailDto> {
    return PrincipalDetailDto.from(
      await this.principals.setServiceApprover(caller, { id, serviceApprover: body.service_approver, reason: body.reason }, caller.ctx),
    );
  }
}
