import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CommandContext } from '@lib/common';
import { CurrentContext, CurrentPrincipal, Permission, Principal, RequirePermission } from '@lib/governance';
import { ExecutionRunResponseDto, ParseExecutionIdPipe } from '@lib/execution';
import { ApprovalDecisionService } from './approval-decision.service';
import { ApproveDto, RejectDto } from './dto/decision.dto';

@ApiTags('approvals')
@ApiBearerAuth()
@Controller('approvals')
export class ApprovalsController {
  constructor(private readonly decisions: ApprovalDecisionService) {}

  @Post(':execution_id/approve')
  @HttpCode(200)
  @RequirePermission(Permission.ApprovalDecide)
  @ApiOperation({ summary: 'Approve the pending approval: the run moves to RUN' })
  @ApiErrors({ 400: ['invalid_execution_id', 'invalid_length', 'invalid_format', 'unknown_field'], 401: ['unauthenticated'], 403: ['forbidden', 'self_approval_forbidden'], 404: ['execution_not_found'], 409: ['approval_already_decided'] })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  async approve(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: ApproveDto,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(await this.decisions.decide(principal, { executionId, decision: 'approve', reason: body.reason }, ctx));
  }

  @Post(':execution_id/reject')
  @HttpCode(200)
  @RequirePermission(Permission.ApprovalDecide)
  @ApiOperation({ summary: 'Reject the pending approval with a reason: the run moves to REJECTED' })
  @ApiErrors({ 400: ['invalid_execution_id', 'missing_field', 'invalid_length', 'invalid_format', 'unknown_field'], 401: ['unauthenticated'], 403: ['forbidden', 'self_approval_forbidden'], 404: ['execution_not_found'], 409: ['approval_already_decided'] })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  async reject(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: RejectDto,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(await this.decisions.decide(principal, { executionId, decision: 'reject', reason: body.reason }, ctx));
  }
}
