import { Body, Get, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, RequestErrorCode, RequestException, CODE_PATTERN, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Authenticated, IdentityErrorCode } from '@lib/identity';

import { Permission } from '@lib/identity';
import { Principal } from '@lib/identity';
import { PolicyErrorCode } from '../policy.exception';
import { ExecutionModeService } from './execution-mode.service';
import { ExecutionModeScope } from './execution-mode.table';
import { ExecutionModeDto, ExecutionModesResponseDto, SetExecutionModeDto } from './dto/execution-mode.dto';

const ACTION_CODE = CODE_PATTERN;
const LEVEL = /^[0-3]$/;

@ApiTags('governance')
@ApiV1Controller('governance/execution-modes')
export class ExecutionModeController {
  constructor(private readonly modes: ExecutionModeService) {}

  @Get()
  @Authenticated(Permission.ExecutionModeRead)
  @ApiOperation({
    summary: 'Execution modes: the switches made, and the mode each action type runs in now',
    description:
      "A run gets the most restrictive of its action type's mode and its approval level's mode; enabled when neither was switched.",
  })
  @ApiOkResponse({ type: ExecutionModesResponseDto })
  @ApiErrors({ 401: [IdentityErrorCode.Unauthenticated], 403: [IdentityErrorCode.Forbidden] })
  async list(@CurrentPrincipal() principal: Principal): Promise<ExecutionModesResponseDto> {
    return ExecutionModesResponseDto.from(await this.modes.view(principal));
  }

  @Put('actions/:action')
  @Authenticated(Permission.ExecutionModeManage)
  @ApiOperation({
    summary: "Switch an action type's execution mode (admin scoped to all projects), audited",
    description:
      'Takes effect at once on every API instance and worker: new runs of a disabled action are refused with 422 action_disabled; a record_only run ends RECORDED at its claim without its handler. An action not (yet) in the policy is 404 action_not_found, unless ahead_of_policy is true: then it is switched, so that it arrives in that mode.',
  })
  @ApiParam({ name: 'action', description: 'Action type code', schema: { type: 'string', pattern: ACTION_CODE.source } })
  @ApiOkResponse({ type: ExecutionModeDto })
  @ApiErrors({
    400: [...BODY_ERRORS, RequestErrorCode.InvalidValue],
    401: [IdentityErrorCode.Unauthenticated],
    403: [IdentityErrorCode.Forbidden],
    404: [PolicyErrorCode.ActionNotFound],
  })
  async setForAction(
    @CurrentPrincipal() principal: Principal,
    @Param('action') action: string,
    @Body() body: SetExecutionModeDto,
  ): Promise<ExecutionModeDto> {
    if (!ACTION_CODE.test(action)) throw invalidKey('action', 'an action code is 1-128 of [A-Za-z0-9._:-]');
    const row = await this.modes.set(
      principal,
      { scope: ExecutionModeScope.Action, key: action, mode: body.mode, reason: body.reason, aheadOfPolicy: body.ahead_of_policy === true },
      principal.ctx,
    );
    return ExecutionModeDto.from(row);
  }

  @Put('levels/:level')
  @Authenticated(Permission.ExecutionModeManage)
  @ApiOperation({
    summary: "Switch an approval level's execution mode (admin scoped to all projects), audited",
    description: 'Gradual enablement: e.g. level 0 enabled, levels 1-3 record_only, then one level at a time.',
  })
  @ApiParam({ name: 'level', schema: { type: 'integer', minimum: 0, maximum: 3 } })
  @ApiOkResponse({ type: ExecutionModeDto })
  @ApiErrors({
    400: [...BODY_ERRORS, RequestErrorCode.InvalidValue],
    401: [IdentityErrorCode.Unauthenticated],
    403: [IdentityErrorCode.Forbidden],
  })
  async setForLevel(
    @CurrentPrincipal() principal: Principal,
    @Param('level') level: string,
    @Body() body: SetExecutionModeDto,
  ): Promise<ExecutionModeDto> {
    if (!LEVEL.test(level)) throw invalidKey('level', 'an approval level is 0, 1, 2 or 3');
    const row = await this.modes.set(
      principal,
      { scope: ExecutionModeScope.Level, key: level, mode: body.mode, reason: body.reason },
      principal.ctx,
    );
    return ExecutionModeDto.from(row);
  }
}

function invalidKey(field: string, message: string): RequestException {
  return new RequestException(RequestErrorCode.InvalidValue, message, { field });
}
