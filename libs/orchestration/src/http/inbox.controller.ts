import { Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, registerDecorator } from 'class-validator';
import { ApiErrors, PageLimitField, CODE_PATTERN, ApiV1Controller, isStorableTimestamp } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated, PrincipalService } from '@lib/identity';
import { ApprovalInboxService } from '@lib/approval';
import { ExecutionRunResponseDto } from './dto/execution-run-response.dto';
import { PrincipalCardDto } from './run-search.controller';
import { BAD_QUERY, FORBIDDEN, UNAUTHENTICATED } from './error-lists';

export class PendingApprovalsQueryDto {
  @ApiPropertyOptional({ description: 'Only this project (it must be in the caller\u2019s scope)' })
  @IsOptional()
  @IsString()
  @Matches(CODE_PATTERN)
  project_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Keyset cursor: the next_after of the previous page' })
  @IsOptional()
  @IsUUID()
  after?: string;

  @PageLimitField()
  limit?: number;
}

export class PendingApprovalsDto {
  @ApiProperty({ type: [ExecutionRunResponseDto], description: 'Oldest first; each with its plan_hash and its votes so far' })
  runs!: ExecutionRunResponseDto[];

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Pass as `after` for the next page; null on the last one' })
  next_after!: string | null;
}

/**
 * An inbox cursor: the last run's sort key (ISO 8601, UTC, to the microsecond PostgreSQL keeps,
 * so a page never repeats or skips a row of the same millisecond) and its id, joined by `_`.
 */
const INBOX_CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** A well-formed inbox cursor whose time is a real one (no month 13, no February 30). */
function IsInboxCursor(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      // Reported as invalid_format, like every pattern.
      name: 'matches',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must be the next_after of a previous page' },
      validator: {
        validate: (value: unknown) => {
          const parts = typeof value === 'string' ? INBOX_CURSOR.exec(value) : null;
          return parts !== null && isStorableTimestamp(parts[1]);
        },
      },
    });
}

export class InboxQueryDto {
  @ApiPropertyOptional({ description: 'Only this project (it must be in the caller\u2019s scope)' })
  @IsOptional()
  @IsString()
  @Matches(CODE_PATTERN)
  project_id?: string;

  @ApiPropertyOptional({ enum: ['newest', 'expiring'], default: 'newest', description: 'Newest first, or soonest to expire first' })
  @IsOptional()
  @IsIn(['newest', 'expiring'])
  order?: 'newest' | 'expiring';

  @ApiPropertyOptional({ description: 'Keyset cursor: the next_after of the previous page' })
  @IsOptional()
  @IsString()
  @IsInboxCursor()
  after?: string;

  @PageLimitField()
  limit?: number;
}

export class InboxPageDto {
  @ApiProperty({ type: [ExecutionRunResponseDto], description: 'Each with its plan, plan_hash, quorum and expiry' })
  runs!: ExecutionRunResponseDto[];

  @ApiProperty({ type: [PrincipalCardDto], description: 'The principals these runs name (requesters, the people agents act for, voters)' })
  principals!: PrincipalCardDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `after` for the next page; null on the last one' })
  next_after!: string | null;
}

@ApiTags('approvals')
@ApiV1Controller('approvals')
export class InboxController {
  constructor(
    private readonly inbox: ApprovalInboxService,
    private readonly principals: PrincipalService,
  ) {}

  @Get('inbox')
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary: 'Runs waiting for the caller\u2019s decision',
    description:
      'Only runs the caller may decide now: a pending approval that has not run out, of an action it holds an approver role for on that project, not its own request (nor one tied to it), not one it has voted on or whose plan it wrote.',
  })
  @ApiOkResponse({ type: InboxPageDto })
  @ApiErrors({ 400: BAD_QUERY, 401: UNAUTHENTICATED, 403: FORBIDDEN })
  async mine(@CurrentPrincipal() principal: Principal, @Query() query: InboxQueryDto): Promise<InboxPageDto> {
    const limit = query.limit ?? 100;
    const cursor = query.after ? INBOX_CURSOR.exec(query.after) : null;
    const found = await this.inbox.mine(principal, {
      projectId: query.project_id,
      order: query.order ?? 'newest',
      after: cursor ? { at: cursor[1], id: cursor[2] } : undefined,
      limit,
    });
    const named = await this.principals.describeWithAccountable(
      found.flatMap(({ view }) => [view.run.requested_by, ...(view.approval?.votes.map((vote) => vote.principalId) ?? [])]),
    );
    const last = found[found.length - 1];
    return {
      runs: found.map(({ view }) => ExecutionRunResponseDto.from(view)),
      principals: named.map((card) => PrincipalCardDto.from(card)),
      next_after: found.length === limit ? `${last.at}_${last.view.run.id}` : null,
    };
  }

  @Get('pending')
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary: 'Runs waiting for a decision, in the caller\u2019s projects',
    description:
      'Runs BLOCKED on a pending approval that has not run out, oldest first. Each carries the plan an approver decides on and its plan_hash, to name in the vote.',
  })
  @ApiOkResponse({ type: PendingApprovalsDto })
  @ApiErrors({ 400: BAD_QUERY, 401: UNAUTHENTICATED, 403: FORBIDDEN })
  async pending(@CurrentPrincipal() principal: Principal, @Query() query: PendingApprovalsQueryDto): Promise<PendingApprovalsDto> {
    const limit = query.limit ?? 100;
    const views = await this.inbox.pending(principal, { projectId: query.project_id, after: query.after, limit });
    return {
      runs: views.map((view) => ExecutionRunResponseDto.from(view)),
      next_after: views.length === limit ? views[views.length - 1].run.id : null,
    };
  }
}
