import { Body, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated } from '@lib/identity';
import { RunRetentionService } from '@lib/execution';
import { PurgedRunDto, PurgeRunsDto, PurgeRunsResponseDto } from './dto/purge.dto';
import { BAD_BODY, FORBIDDEN, UNAUTHENTICATED } from './error-lists';

@ApiTags('execution')
@ApiV1Controller('execution/retention')
export class RetentionController {
  constructor(private readonly retention: RunRetentionService) {}

  @Post('purge')
  @HttpCode(200)
  @Authenticated(Permission.RunPurge)
  @ApiOperation({
    summary: 'Purge runs that ended long enough ago (admin)',
    description:
      'Deletes, oldest first, runs that ended (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, REJECTED, EXPIRED) at least ' +
      '`older_than_seconds` ago, in one project or every project the key covers, with their approvals, votes, grants, ' +
      'steps and dead-letter entries. Their audit trails stay, each closed by a `run.purged` event with the reason. ' +
      'Dead-lettered runs and runs a worker holds are never purged. Call again while `more` is true.',
  })
  @ApiOkResponse({ type: PurgeRunsResponseDto })
  @ApiErrors({ 400: BAD_BODY, 401: UNAUTHENTICATED, 403: FORBIDDEN })
  async purge(@CurrentPrincipal() principal: Principal, @Body() body: PurgeRunsDto): Promise<PurgeRunsResponseDto> {
    const limit = body.limit ?? 100;
    const purged = await this.retention.purge(
      principal,
      { olderThanSeconds: body.older_than_seconds, projectId: body.project_id, limit, reason: body.reason },
      principal.ctx,
    );
    return { purged: purged.length, runs: purged.map((run) => PurgedRunDto.from(run)), more: purged.length === limit };
  }
}
