import { Body, Controller, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CommandContext } from '@lib/common';
import { CurrentContext, CurrentPrincipal, Permission, Principal, RequirePermission } from '@lib/governance';
import { ExecutionRunResponseDto, ParseExecutionIdPipe } from '@lib/execution';
import { ReplacePlanDto } from './dto/replace-plan.dto';
import { PlanChangeService } from './plan-change.service';

@ApiTags('execution')
@ApiBearerAuth()
@Controller('api/v1/execution/run')
export class PlanController {
  constructor(private readonly plans: PlanChangeService) {}

  @Put(':execution_id/plan')
  @HttpCode(200)
  @RequirePermission(Permission.RunCreate)
  @ApiOperation({
    summary:
      "Replace a waiting run's params and targets (requester only). A different plan invalidates the current approval and opens a new one.",
  })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({
    400: [
      'invalid_execution_id',
      'invalid_type',
      'invalid_length',
      'invalid_format',
      'invalid_value',
      'unknown_field',
      'params_not_object',
    ],
    401: ['unauthenticated'],
    403: ['forbidden', 'not_requester'],
    404: ['execution_not_found'],
    409: ['plan_locked'],
    422: ['scope_not_allowed'],
  })
  async replacePlan(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: ReplacePlanDto,
  ): Promise<ExecutionRunResponseDto> {
    const result = await this.plans.replacePlan(principal, { executionId, params: body.params ?? {}, targets: body.targets ?? [] }, ctx);
    return ExecutionRunResponseDto.from(result);
  }
}
