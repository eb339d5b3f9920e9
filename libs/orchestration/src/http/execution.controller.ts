import { Body, Get, Headers, HttpCode, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, isCursor, RequestErrorCode, RequestException, ApiV1Controller } from '@lib/common';
import { AuditEventDto } from '@lib/audit';
import { CurrentPrincipal, Permission, Principal, Authenticated } from '@lib/identity';
import { ExecutionErrorCode, ParseExecutionIdPipe } from '@lib/execution';
import { RunControlService } from '../run-control.service';
import { RunQueryService } from '../run-query.service';
import { EventStream } from './event-stream';
import { RunRequestService } from '../run-request.service';
import { ByKeyQueryDto } from './dto/by-key-query.dto';
import { CancelRunDto } from './dto/cancel-run.dto';
import { CreateExecutionRunDto } from './dto/create-execution-run.dto';
import { EventsQueryDto } from './dto/events-query.dto';
import { ExecutionEventsResponseDto, ExecutionRunResponseDto } from './dto/execution-run-response.dto';
import { BAD_BODY, BAD_QUERY, BAD_RUN_ID, FORBIDDEN, RUN_NOT_FOUND, UNAUTHENTICATED } from './error-lists';
import { headerValues, resolveIdempotencyKey } from './idempotency-key';
import { PolicyErrorCode } from '@lib/policy';

@ApiTags('execution')
@ApiV1Controller('execution/run')
export class ExecutionController {
  private readonly logger = new Logger(ExecutionController.name);

  constructor(
    private readonly requests: RunRequestService,
    private readonly queries: RunQueryService,
    private readonly control: RunControlService,
  ) {}

  @Post()
  @Authenticated(Permission.RunCreate)
  @ApiOperation({
    summary: 'Create a run once per (project_id, idempotency_key). It starts BLOCKED / approval_pending.',
    description:
      "201 with a new run, or 200 with the existing one (dedup_hit true) when the same key comes with the same payload (fingerprint: SHA-256 of the RFC 8785 canonical JSON of action, params and sorted targets); the same key with another payload is 409 idempotency_conflict. The key is the body's idempotency_key or the Idempotency-Key header. A level-0 action is approved at once; an immediate one runs inside this request.",
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Accepted in place of the body field' })
  @ApiCreatedResponse({ type: ExecutionRunResponseDto, description: 'New run' })
  @ApiOkResponse({ type: ExecutionRunResponseDto, description: 'Same key and same payload: the existing run, dedup_hit true' })
  @ApiErrors({
    400: [
      ...BAD_BODY,
      RequestErrorCode.ParamsNotObject,
      ExecutionErrorCode.IdempotencyKeyMissing,
      ExecutionErrorCode.IdempotencyKeyMismatch,
      ExecutionErrorCode.InvalidIdempotencyKey,
    ],
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    409: [ExecutionErrorCode.IdempotencyConflict],
    422: [PolicyErrorCode.UnknownAction, PolicyErrorCode.ScopeNotAllowed, ExecutionErrorCode.ActionDisabled],
    413: [RequestErrorCode.PayloadTooLarge],
    415: [RequestErrorCode.UnsupportedMediaType],
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateExecutionRunDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExecutionRunResponseDto> {
    const idempotencyKey = resolveIdempotencyKey(body.idempotency_key, headerValues(request, 'idempotency-key'));
    const result = await this.requests.request(
      principal,
      { projectId: body.project_id, idempotencyKey, action: body.action, params: body.params ?? {}, targets: body.targets ?? [] },
      principal.ctx,
    );
    reply.status(result.dedupHit ? 200 : 201);
    return ExecutionRunResponseDto.from(result, result.dedupHit);
  }

  @Get('by_key')
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary: 'Find a run by its idempotency key',
    description: 'A run of a project the caller does not cover answers 404 like an unknown one.',
  })
  @ApiErrors({ 400: BAD_QUERY, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: RUN_NOT_FOUND })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  async getByKey(@CurrentPrincipal() principal: Principal, @Query() query: ByKeyQueryDto): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(await this.queries.getByKey(principal, query.project_id, query.idempotency_key));
  }

  @Get(':execution_id')
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary: 'Read a run and its approval',
    description: 'The run, its current approval lane with its votes, and how it is being carried out.',
  })
  @ApiErrors({ 400: BAD_RUN_ID, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: RUN_NOT_FOUND })
  @ApiOkResponse({ type: ExecutionRunResponseDto })
  async getById(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
  ): Promise<ExecutionRunResponseDto> {
    return ExecutionRunResponseDto.from(await this.queries.getById(principal, executionId));
  }

  @Get(':execution_id/events')
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary: "The run's audit trail, oldest first; `after` and `wait` make it a long-poll (the fallback for the stream)",
    description:
      'With wait (seconds, at most 30) the answer waits until an event after `after` is committed or the time is up; a run that has ended answers at once (`ended: true`).',
  })
  @ApiErrors({
    400: [...BAD_RUN_ID, ...BAD_QUERY, RequestErrorCode.InvalidCursor],
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: RUN_NOT_FOUND,
  })
  @ApiOkResponse({ type: ExecutionEventsResponseDto })
  async listEvents(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Query() query: EventsQueryDto,
  ): Promise<ExecutionEventsResponseDto> {
    const { run, events, ended } = await this.queries.listEvents(principal, executionId, {
      after: query.after,
      waitMs: (query.wait ?? 0) * 1000,
    });
    return { execution_id: run.id, events: events.map((event) => AuditEventDto.from(event)), ended };
  }

  @Post(':execution_id/cancel')
  @HttpCode(200)
  @Authenticated(Permission.RunCancel)
  @ApiOperation({
    summary: 'Cancel a run; the answer says where the cancel stands',
    description:
      'A run that has not started (BLOCKED, RUN) is cancelled at once: 200 CANCELLED, its approval invalidated. For a running ' +
      'one the cancel request is committed and delivered to its worker at once; the answer waits a bounded time (the worker ' +
      'abort grace plus a second) for the run to stop: 200 with status CANCELLED, or 202 with the run still RUNNING and ' +
      '`execution.cancel_requested_at` set when its handler has not stopped yet (it will end CANCELLED: follow the stream). ' +
      'A run that had already ended (SUCCEEDED, FAILED, TIMED_OUT), or timed out before the cancel took effect, is 409 ' +
      'cancel_too_late with its status in `details`; a run that is CANCELLED, REJECTED, EXPIRED or DEAD_LETTERED is 409 ' +
      'run_not_cancellable. A cancel committed before the run ended always wins: no further step runs and the run never ' +
      'ends SUCCEEDED after it.',
  })
  @ApiOkResponse({ type: ExecutionRunResponseDto, description: 'The run is CANCELLED' })
  @ApiAcceptedResponse({ type: ExecutionRunResponseDto, description: 'Cancel requested; the run is still stopping' })
  @ApiErrors({
    400: [...BAD_RUN_ID, ...BAD_BODY],
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: RUN_NOT_FOUND,
    409: [ExecutionErrorCode.CancelTooLate, ExecutionErrorCode.RunNotCancellable],
  })
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Body() body: CancelRunDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExecutionRunResponseDto> {
    const outcome = await this.control.cancel(principal, { executionId, reason: body.reason }, principal.ctx);
    reply.status(outcome.kind === 'cancelled' ? 200 : 202);
    return ExecutionRunResponseDto.from(outcome.view);
  }

  @Get(':execution_id/stream')
  @Authenticated(Permission.RunRead)
  @ApiOperation({
    summary: "Server-sent events of the run's audit trail as it is committed; resumes after Last-Event-ID",
    description:
      'Each event is sent as id (its position), event (its type) and data (the event as JSON); a comment `: connected` says the stream listens. Resume after the last id received with the Last-Event-ID header. Once the run has ended for good (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, REJECTED, EXPIRED, RECORDED), the response ends after its last event.',
  })
  @ApiOkResponse({ description: 'text/event-stream: `id: <position>`, `event: <type>`, `data: <event JSON>`' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this position (the id of the last event received)' })
  @ApiErrors({ 400: [...BAD_RUN_ID, RequestErrorCode.InvalidCursor], 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: RUN_NOT_FOUND })
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Param('execution_id', ParseExecutionIdPipe) executionId: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (lastEventId !== undefined && !isCursor(lastEventId)) {
      throw new RequestException(
        RequestErrorCode.InvalidCursor,
        'Last-Event-ID must be the position of an event: 1 to 19 digits, within bigint',
      );
    }
    // Access is checked (and errors keep their JSON body) before the stream starts.
    const feed = await this.queries.follow(principal, executionId, lastEventId);
    new EventStream({ request, reply, logger: this.logger, executionId, after: lastEventId }).run(feed);
  }
}
