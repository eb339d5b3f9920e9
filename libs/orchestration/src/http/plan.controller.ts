import { Body, HttpCode, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, RequestErrorCode, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated, IdentityErrorCode } from '@lib/identity';
import { ApprovalErrorCode, PlanChangeService } from '@lib/approval';
import { ExecutionRunResponseDto } from './dto/execution-run-response.dto';
import { ReplacePlanDto } from './dto/replace-plan.dto';
import { BAD_BODY, BAD_RUN_ID, RUN_NOT_FOUND, UNAUTHENTICATED } from './error-lists';
import { ParseExecutionIdPipe } from '@lib/execution';
import { PolicyErrorCode } from '@lib/policy';

@ApiTags('execution')
@ApiV1Controller('execution/run')
export class PlanController {
  constructor(private readonly plans: PlanChangeService) {}

  @Put(':execution_id/plan')
  @HttpCode(200)
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary:
      "Replace a waiting run's params and targets (its requester, or one who may decide it). A different plan invalidates the current approval and opens a new one.",
    description:
      "Only while the run waits (BLOCKED or RUN). The invalidation is audited with both plan hashes; an approved run goes back to BLOCKED. One who may decide the run but did not request it (an approver editing an agent's tool arguments) may change it too; the new approval is then one it does not decide (403 decider_ineligible, reason edited_the_plan).",
  })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({
    400: [...BAD_RUN_ID, ...BAD_BODY, RequestErrorCode.ParamsNotObject],
    401: UNAUTHENTICATED,
    403: [IdentityErrorCode.Forbidden, ApprovalErrorCode.NotRequester],
    404: RUN_NOT_FOUND,
    409: [ApprovalErrorCode.PlanLocked, ApprovalErrorCode.PlanChangeLimit],
    422: [PolicyErrorCode.ScopeNotAllowed],
  })
  async replacePlan(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: ReplacePlanDto,
  ): Promise<ExecutionRunResponseDto> {
    const result = await this.plans.replacePlan(
      principal,
      { executionId, params: body.params ?? {}, targets: body.targets ?? [] },
      principal.ctx,
    );
    return ExecutionRunResponseDto.from(result);
  }
}
