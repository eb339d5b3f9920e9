import { Body, Controller, HttpCode, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CommandContext, RequestErrorCode } from '@lib/common';
import {
  CurrentContext,
  CurrentPrincipal,
  GovernanceErrorCode,
  Permission,
  Principal,
  RequirePermission,
  ApiCredentials,
} from '@lib/governance';
import { ApprovalErrorCode, PlanChangeService } from '@lib/approval';
import { ExecutionRunResponseDto } from './dto/execution-run-response.dto';
import { ReplacePlanDto } from './dto/replace-plan.dto';
import { BAD_BODY, BAD_RUN_ID, RUN_NOT_FOUND, UNAUTHENTICATED } from './error-lists';
import { ParseExecutionIdPipe } from './execution-id.pipe';

@ApiTags('execution')
@ApiCredentials()
@Controller('api/v1/execution/run')
export class PlanController {
  constructor(private readonly plans: PlanChangeService) {}

  @Put(':execution_id/plan')
  @HttpCode(200)
  @RequirePermission(Permission.RunCreate)
  @ApiOperation({
    summary:
      "Replace a waiting run's params and targets (requester only). A different plan invalidates the current approval and opens a new one.",
    description:
      'Only while the run waits (BLOCKED or RUN). The invalidation is audited with both plan hashes; an approved run goes back to BLOCKED.',
  })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({
    400: [...BAD_RUN_ID, ...BAD_BODY, RequestErrorCode.ParamsNotObject],
    401: UNAUTHENTICATED,
    403: [GovernanceErrorCode.Forbidden, ApprovalErrorCode.NotRequester],
    404: RUN_NOT_FOUND,
    409: [ApprovalErrorCode.PlanLocked],
    422: [GovernanceErrorCode.ScopeNotAllowed],
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
