import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CommandContext } from '@lib/common';
import { CurrentContext, CurrentPrincipal, Permission, Principal, RequirePermission } from '@lib/governance';
import { DlqEntryDto, DlqListDto, DlqQueryDto, DlqRetryResponseDto } from './dto/dlq.dto';
import { ExecutionRunResponseDto } from './dto/execution-run-response.dto';
import { DlqService } from './dlq.service';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';

const DLQ_ID = new ParseUUIDPipe({
  exceptionFactory: () => new ExecutionException(ExecutionErrorCode.DlqEntryNotFound, 'no such dead-letter entry'),
});

@ApiTags('execution')
@ApiBearerAuth()
@Controller('api/v1/execution/dlq')
export class DlqController {
  constructor(private readonly dlq: DlqService) {}

  @Get()
  @RequirePermission(Permission.DlqRead)
  @ApiOperation({ summary: 'Runs that spent max_attempts, with their last error' })
  @ApiOkResponse({ type: DlqListDto })
  @ApiErrors({ 400: ['invalid_type', 'invalid_value', 'unknown_field'], 401: ['unauthenticated'], 403: ['forbidden'] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: DlqQueryDto): Promise<DlqListDto> {
    const entries = await this.dlq.list(principal, { includeRedriven: query.include_redriven ?? false, limit: query.limit ?? 100 });
    return { entries: entries.map((entry) => DlqEntryDto.from(entry)) };
  }

  @Post(':id/retry')
  @HttpCode(200)
  @RequirePermission(Permission.DlqRedrive)
  @ApiOperation({ summary: 'Re-drive a dead-lettered run (admin): back to the queue with a fresh budget of attempts' })
  @ApiOkResponse({ type: DlqRetryResponseDto })
  @ApiErrors({ 401: ['unauthenticated'], 403: ['forbidden'], 404: ['dlq_entry_not_found'], 409: ['dlq_already_redriven'] })
  async retry(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Param('id', DLQ_ID) id: string,
  ): Promise<DlqRetryResponseDto> {
    const { entry, run } = await this.dlq.retry(principal, id, ctx);
    return { entry: DlqEntryDto.from(entry), run: ExecutionRunResponseDto.from({ run, approval: null }) };
  }
}
