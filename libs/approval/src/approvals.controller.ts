import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CommandContext } from '@lib/common';
import { CurrentContext, CurrentPrincipal, Permission, Principal, RequirePermission } from '@lib/governance';
import { ExecutionRunResponseDto, ParseExecutionIdPipe } from '@lib/execution';
import { ApprovalDeferralService } from './approval-deferral.service';
import { ApprovalVoteService } from './approval-vote.service';
import { ApproveDto, DeferDto, RejectDto, ReopenDto } from './dto/decision.dto';

const AUTH = { 401: ['unauthenticated'], 403: ['forbidden', 'self_approval_forbidden'], 404: ['execution_not_found'] };
const BODY = [
  'invalid_execution_id',
  'missing_field',
  'invalid_type',
  'invalid_length',
  'invalid_format',
  'invalid_value',
  'unknown_field',
];

@ApiTags('approvals')
@ApiBearerAuth()
@Controller('approvals')
export class ApprovalsController {
  constructor(
    private readonly votes: ApprovalVoteService,
    private readonly deferrals: ApprovalDeferralService,
  ) {}

  @Post(':execution_id/approve')
  @HttpCode(200)
  @RequirePermission(Permission.ApprovalDecide)
  @ApiOperation({ summary: 'Vote to approve. At the quorum the approval becomes approved and the run moves to RUN.' })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({ 400: BODY, ...AUTH, 409: ['approval_already_decided', 'approval_expired', 'already_voted'] })
  async approve(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: ApproveDto,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(await this.votes.vote(principal, { executionId, decision: 'approve', reason: body.reason }, ctx));
  }

  @Post(':execution_id/reject')
  @HttpCode(200)
  @RequirePermission(Permission.ApprovalDecide)
  @ApiOperation({ summary: 'Reject with a reason (a veto): the approval is rejected and the run moves to REJECTED' })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({ 400: BODY, ...AUTH, 409: ['approval_already_decided', 'approval_expired', 'already_voted'] })
  async reject(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: RejectDto,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(await this.votes.vote(principal, { executionId, decision: 'reject', reason: body.reason }, ctx));
  }

  @Post(':execution_id/defer')
  @HttpCode(200)
  @RequirePermission(Permission.ApprovalDecide)
  @ApiOperation({ summary: 'Defer with a reason: the approval is deferred, the run stays BLOCKED / approval_deferred' })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({ 400: BODY, ...AUTH, 409: ['approval_already_decided', 'approval_expired'] })
  async defer(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: DeferDto,
  ): Promise<ExecutionRunResponseDto> {
    const until = body.until === undefined ? undefined : new Date(body.until);
    return ExecutionRunResponseDto.from(await this.deferrals.defer(principal, { executionId, reason: body.reason, until }, ctx));
  }

  @Post(':execution_id/reopen')
  @HttpCode(200)
  @RequirePermission(Permission.ApprovalDecide)
  @ApiOperation({ summary: 'Reopen a deferred approval: a new pending lane, with a fresh expiry and no votes' })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({ 400: BODY, ...AUTH, 409: ['approval_not_deferred'] })
  async reopen(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: ReopenDto,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(await this.deferrals.reopen(principal, { executionId, reason: body.reason }, ctx));
  }
}
