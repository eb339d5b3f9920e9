import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, KnownErrorCode } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated, IdentityErrorCode } from '@lib/identity';
import { ApprovalDeferralService, ApprovalErrorCode } from '@lib/approval';
import { RunDecisionService } from '../run-decision.service';
import { ApproveDto, DeferDto, RejectDto, ReopenDto } from './dto/decision.dto';
import { ExecutionRunResponseDto } from './dto/execution-run-response.dto';
import { BAD_BODY, BAD_RUN_ID, RUN_NOT_FOUND, UNAUTHENTICATED } from './error-lists';
import { ParseExecutionIdPipe } from '@lib/execution';

const DECIDE_ERRORS = {
  400: [...BAD_RUN_ID, ...BAD_BODY, ApprovalErrorCode.PlanHashRequired],
  401: UNAUTHENTICATED,
  403: [IdentityErrorCode.Forbidden, ApprovalErrorCode.SelfApprovalForbidden, ApprovalErrorCode.DeciderIneligible],
  404: RUN_NOT_FOUND,
} satisfies Record<number, readonly KnownErrorCode[]>;
const VOTE_CONFLICTS = [
  ApprovalErrorCode.ApprovalAlreadyDecided,
  ApprovalErrorCode.ApprovalExpired,
  ApprovalErrorCode.AlreadyVoted,
  ApprovalErrorCode.PlanChanged,
];

@ApiTags('approvals')
@Controller('approvals')
export class ApprovalsController {
  constructor(
    private readonly decisions: RunDecisionService,
    private readonly deferrals: ApprovalDeferralService,
  ) {}

  @Post(':execution_id/approve')
  @HttpCode(200)
  @Authenticated(Permission.ApprovalDecide)
  @ApiOperation({
    summary: 'Vote to approve. At the quorum the approval becomes approved and the run moves to RUN.',
    description:
      'The vote names the plan_hash the approver was shown (required at levels 2 and 3): 409 plan_changed when the plan changed since. The requester may not vote on its own run (403 self_approval_forbidden), whatever credential it uses.',
  })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({ ...DECIDE_ERRORS, 409: VOTE_CONFLICTS })
  async approve(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: ApproveDto,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(
      await this.decisions.vote(
        principal,
        { executionId, decision: 'approve', reason: body.reason, planHash: body.plan_hash },
        principal.ctx,
      ),
    );
  }

  @Post(':execution_id/reject')
  @HttpCode(200)
  @Authenticated(Permission.ApprovalDecide)
  @ApiOperation({
    summary: 'Reject with a reason (a veto): the approval is rejected and the run moves to REJECTED',
    description: 'One rejection vetoes the approval. Names the plan_hash the approver was shown, as approve does.',
  })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({ ...DECIDE_ERRORS, 409: VOTE_CONFLICTS })
  async reject(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: RejectDto,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(
      await this.decisions.vote(
        principal,
        { executionId, decision: 'reject', reason: body.reason, planHash: body.plan_hash },
        principal.ctx,
      ),
    );
  }

  @Post(':execution_id/defer')
  @HttpCode(200)
  @Authenticated(Permission.ApprovalDecide)
  @ApiOperation({
    summary: 'Defer with a reason: the approval is deferred, the run stays BLOCKED / approval_deferred',
    description: 'With until (in the future: 400 defer_until_past otherwise), the worker reopens a new lane by itself when it passes.',
  })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({
    ...DECIDE_ERRORS,
    400: [...DECIDE_ERRORS[400], ApprovalErrorCode.DeferUntilPast],
    409: [
      ApprovalErrorCode.ApprovalAlreadyDecided,
      ApprovalErrorCode.ApprovalExpired,
      ApprovalErrorCode.PlanChanged,
      ApprovalErrorCode.StepApprovalNotDeferrable,
    ],
  })
  async defer(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: DeferDto,
  ): Promise<ExecutionRunResponseDto> {
    const until = body.until === undefined ? undefined : new Date(body.until);
    return ExecutionRunResponseDto.from(
      await this.deferrals.defer(principal, { executionId, reason: body.reason, until, planHash: body.plan_hash }, principal.ctx),
    );
  }

  @Post(':execution_id/reopen')
  @HttpCode(200)
  @Authenticated(Permission.ApprovalDecide)
  @ApiOperation({
    summary: 'Reopen a deferred approval: a new pending lane, with a fresh expiry and no votes',
    description: 'Only a deferred approval can be reopened (409 approval_not_deferred otherwise).',
  })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  @ApiErrors({ ...DECIDE_ERRORS, 400: [...BAD_RUN_ID, ...BAD_BODY], 409: [ApprovalErrorCode.ApprovalNotDeferred] })
  async reopen(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: ReopenDto,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(await this.deferrals.reopen(principal, { executionId, reason: body.reason }, principal.ctx));
  }
}
