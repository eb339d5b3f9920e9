import { Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated } from '@lib/identity';
import { DlqService, ExecutionErrorCode, ExecutionException } from '@lib/execution';
import { RunControlService } from '../run-control.service';
import { DlqEntryDto, DlqListDto, DlqQueryDto, DlqRetryResponseDto } from './dto/dlq.dto';
import { ExecutionRunResponseDto } from './dto/execution-run-response.dto';
import { BAD_QUERY, FORBIDDEN, UNAUTHENTICATED } from './error-lists';

const DLQ_ID = new ParseUUIDPipe({
  exceptionFactory: () => new ExecutionException(ExecutionErrorCode.DlqEntryNotFound, 'no such dead-letter entry'),
});

@ApiTags('execution')
@ApiV1Controller('execution/dlq')
export class DlqController {
  constructor(
    private readonly dlq: DlqService,
    private readonly control: RunControlService,
  ) {}

  @Get()
  @Authenticated(Permission.DlqRead)
  @ApiOperation({
    summary: 'Runs that spent max_attempts, with their last error',
    description: "Newest first, within the caller's project scope; re-driven entries only with include_redriven.",
  })
  @ApiOkResponse({ type: DlqListDto })
  @ApiErrors({ 400: BAD_QUERY, 401: UNAUTHENTICATED, 403: FORBIDDEN })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: DlqQueryDto): Promise<DlqListDto> {
    const entries = await this.dlq.list(principal, { includeRedriven: query.include_redriven ?? false, limit: query.limit ?? 100 });
    return { entries: entries.map((entry) => DlqEntryDto.from(entry)) };
  }

  @Post(':id/retry')
  @HttpCode(200)
  @Authenticated(Permission.DlqRedrive)
  @ApiOperation({
    summary: 'Re-drive a dead-lettered run (admin): back to the queue with a fresh budget of attempts',
    description:
      'Attempt numbers keep counting, so every step attempt stays distinct; the entry is kept, marked re-driven. A second re-drive of one entry is 409.',
  })
  @ApiOkResponse({ type: DlqRetryResponseDto })
  @ApiErrors({
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: [ExecutionErrorCode.DlqEntryNotFound],
    409: [ExecutionErrorCode.DlqAlreadyRedriven],
  })
  async retry(@CurrentPrincipal() principal: Principal, @Param('id', DLQ_ID) id: string): Promise<DlqRetryResponseDto> {
    const { entry, view } = await this.control.redrive(principal, id, principal.ctx);
    return { entry: DlqEntryDto.from(entry), run: ExecutionRunResponseDto.from(view) };
  }
}
