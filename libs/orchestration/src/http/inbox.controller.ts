import { Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { ApiErrors, PageLimitField, CODE_PATTERN, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated } from '@lib/identity';
import { ApprovalInboxService } from '@lib/approval';
import { ExecutionRunResponseDto } from './dto/execution-run-response.dto';
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

@ApiTags('approvals')
@ApiV1Controller('approvals')
export class InboxController {
  constructor(private readonly inbox: ApprovalInboxService) {}

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
