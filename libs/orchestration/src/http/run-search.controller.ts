import { Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { ApiErrors, ApiV1Controller, CODE_PATTERN, IsStorableText, IsTimestamp, PageLimitField } from '@lib/common';
import { Authenticated, CurrentPrincipal, Permission, Principal, PrincipalCard } from '@lib/identity';
import { ParseExecutionIdPipe, RunStatus } from '@lib/execution';
import { ReplacedPlan, RunReviewService } from '@lib/approval';
import { RunQueryService } from '../run-query.service';
import { ExecutionRunResponseDto } from './dto/execution-run-response.dto';
import { BAD_QUERY, BAD_RUN_ID, FORBIDDEN, RUN_NOT_FOUND, UNAUTHENTICATED } from './error-lists';

export class RunSearchQueryDto {
  @ApiPropertyOptional({ description: 'Only this project (it must be in the caller\u2019s scope)' })
  @IsOptional()
  @IsString()
  @Matches(CODE_PATTERN)
  project_id?: string;

  @ApiPropertyOptional({ enum: Object.values(RunStatus) })
  @IsOptional()
  @IsIn(Object.values(RunStatus))
  status?: string;

  @ApiPropertyOptional({ description: 'Only runs of this action type' })
  @IsOptional()
  @IsString()
  @Matches(CODE_PATTERN)
  action?: string;

  @ApiPropertyOptional({ description: 'Only runs requested by this principal (its id)' })
  @IsOptional()
  @IsStorableText()
  requested_by?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'created_at >= created_from' })
  @IsOptional()
  @IsTimestamp()
  created_from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'created_at < created_before' })
  @IsOptional()
  @IsTimestamp()
  created_before?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Keyset cursor: the next_before of the previous page' })
  @IsOptional()
  @IsUUID()
  before?: string;

  @PageLimitField()
  limit?: number;
}

export class RunSearchPageDto {
  @ApiProperty({ type: [ExecutionRunResponseDto], description: 'Newest first' })
  runs!: ExecutionRunResponseDto[];

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Pass as `before` for the next page; null on the last one' })
  next_before!: string | null;
}

export class PrincipalCardDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['person', 'service', 'agent'] }) kind!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true, description: 'For an agent: the person it acts for' }) acts_for!: string | null;
  @ApiProperty({ description: 'Disabled now: its credentials are refused and its votes no longer count' }) disabled!: boolean;

  static from(card: PrincipalCard): PrincipalCardDto {
    return { id: card.id, kind: card.kind, name: card.name, acts_for: card.acts_for, disabled: card.disabled };
  }
}

export class DecisionBarDto {
  @ApiProperty({
    description:
      'not_pending, unknown_action, no_approver_role, self, already_voted, edited_the_plan, or a reason of decider_ineligible (agent, accountable_for_the_requester, not_a_person, key_not_pinned, made_the_requester, made_by_the_requester, same_maker, disabled, unknown_principal)',
  })
  code!: string;
  @ApiProperty({ description: 'Why, for a person' }) message!: string;
}

export class ReplacedPlanDto {
  @ApiProperty({ description: 'The plan hash the latest change replaced' }) plan_hash!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Its params, as they were (secrets as references)' })
  params!: Record<string, unknown>;
  @ApiProperty({ type: [String], description: 'Its targets, in order' }) targets!: string[];
}

export class RunReviewDto {
  @ApiProperty({ type: ExecutionRunResponseDto }) run!: ExecutionRunResponseDto;
  @ApiProperty({ description: 'Whether the caller may approve, reject or defer the run now (the vote checks again)' })
  may_decide!: boolean;
  @ApiProperty({ type: DecisionBarDto, nullable: true, description: 'Why not, when it may not' })
  decision_bar!: DecisionBarDto | null;
  @ApiProperty({ type: [String], description: 'The roles that decide this action (the policy\u2019s)' }) approver_roles!: string[];
  @ApiProperty({ type: [PrincipalCardDto], description: 'Others who may decide the pending approval (known principals, at most 50)' })
  deciders!: PrincipalCardDto[];
  @ApiProperty({
    type: [PrincipalCardDto],
    description: 'Every principal the run names: requester, the person an agent acts for, voters, deciders, canceller',
  })
  principals!: PrincipalCardDto[];
  @ApiProperty({
    type: ReplacedPlanDto,
    nullable: true,
    description:
      'The plan approvers were last asked about before the current one (the previous lane\u2019s), for a diff; null if the plan never changed',
  })
  replaced_plan!: ReplacedPlanDto | null;
  @ApiProperty({
    type: ReplacedPlanDto,
    nullable: true,
    description: 'The plan as first requested, when it is neither the current nor the replaced one (the plan changed more than once)',
  })
  original_plan!: ReplacedPlanDto | null;
  @ApiProperty({ description: 'How many times the plan was changed' }) plan_changes!: number;
}

function planDto(plan: ReplacedPlan | null): ReplacedPlanDto | null {
  return plan ? { plan_hash: plan.planHash, params: plan.params, targets: [...plan.targets] } : null;
}

@ApiTags('execution')
@ApiV1Controller('execution')
export class RunSearchController {
  constructor(
    private readonly queries: RunQueryService,
    private readonly reviews: RunReviewService,
  ) {}

  @Get('runs')
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary: 'Search runs in the caller\u2019s projects',
    description: 'By project, status, action, requester and creation time; newest first, paged with `before`.',
  })
  @ApiOkResponse({ type: RunSearchPageDto })
  @ApiErrors({ 400: BAD_QUERY, 401: UNAUTHENTICATED, 403: FORBIDDEN })
  async search(@CurrentPrincipal() principal: Principal, @Query() query: RunSearchQueryDto): Promise<RunSearchPageDto> {
    const limit = query.limit ?? 100;
    const views = await this.queries.search(principal, {
      projectId: query.project_id ?? null,
      status: query.status ?? null,
      action: query.action ?? null,
      requestedBy: query.requested_by ?? null,
      createdFrom: query.created_from ? new Date(query.created_from) : null,
      createdBefore: query.created_before ? new Date(query.created_before) : null,
      before: query.before ?? null,
      limit,
    });
    return {
      runs: views.map((view) => ExecutionRunResponseDto.from(view)),
      next_before: views.length === limit ? views[views.length - 1].run.id : null,
    };
  }

  @Get('run/:execution_id/review')
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary: 'A run as its reviewer sees it: whether the caller may decide it and why not, who else may, who everyone is, what changed',
    description:
      'The same rules a vote applies, asked without deciding: a page offers a decision only to one who may make it, and says why not otherwise. The replaced plan is the one the latest plan change replaced, for a diff.',
  })
  @ApiOkResponse({ type: RunReviewDto })
  @ApiErrors({ 400: BAD_RUN_ID, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: RUN_NOT_FOUND })
  async review(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
  ): Promise<RunReviewDto> {
    const review = await this.reviews.review(principal, executionId);
    return {
      run: ExecutionRunResponseDto.from(review.view),
      may_decide: review.mayDecide,
      decision_bar: review.bar,
      approver_roles: [...review.approverRoles],
      deciders: review.deciders.map((card) => PrincipalCardDto.from(card)),
      principals: review.principals.map((card) => PrincipalCardDto.from(card)),
      replaced_plan: planDto(review.replacedPlan),
      original_plan: planDto(review.originalPlan),
      plan_changes: review.planChanges,
    };
  }
}
