import { Body, HttpCode, Param, PipeTransform, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiAcceptedResponse } from '@nestjs/swagger';
import { ApiErrors, ApiV1Controller, BODY_ERRORS, RequestErrorCode, RequestException } from '@lib/common';

import { Authenticated, CurrentPrincipal, IdentityErrorCode, Permission, Principal } from '@lib/identity';
import { storedBytes, ExecutionErrorCode, ParseExecutionIdPipe } from '@lib/execution';
import { PolicyErrorCode } from '@lib/policy';
import { RemoteClaimService } from '../remote/remote-claim.service';
import { RemoteExecutorService } from '../remote/remote-executor.service';
import { StepReport } from '../remote/remote-lease';
import { RunnerErrorCode, RunnerException } from '../runner.exception';
import {
  ClaimResponseDto,
  ClaimRunsDto,
  HeartbeatResponseDto,
  LeaseDto,
  StepProgressDto,
  StepResultDto,
  StepResultResponseDto,
} from './dto/worker-protocol.dto';

const RESULT_CAP_BYTES = 10 * 1024;
const PROGRESS_CAP_BYTES = 4 * 1024;
const MAX_STEP_INDEX = 1000;

/** A step index as a path writes it: digits only, 0..1000, no sign, space, exponent or leading zero. */
const STEP_INDEX: PipeTransform<string, number> = {
  transform(value: string): number {
    if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,3})$/.test(value) || Number(value) > MAX_STEP_INDEX) {
      throw new RequestException(RequestErrorCode.InvalidValue, 'the step index must be an integer 0..1000', { field: 'index' });
    }
    return Number(value);
  },
};

const UNAUTHENTICATED = [IdentityErrorCode.Unauthenticated];
const TOO_LARGE = [RequestErrorCode.PayloadTooLarge];
const FORBIDDEN = [IdentityErrorCode.Forbidden];
const NOT_FOUND = [ExecutionErrorCode.ExecutionNotFound];
/** What every route on a run under a lease answers before the lease is looked at. */
const RUN_ROUTE_ERRORS = {
  400: [...BODY_ERRORS, ExecutionErrorCode.InvalidExecutionId],
  401: UNAUTHENTICATED,
  403: FORBIDDEN,
  404: NOT_FOUND,
} as const;

/**
 * The worker protocol: the user's own workers (any language, anywhere that reaches the API)
 * carry out approved runs of remote action types. A worker key holds the worker role on its
 * projects; it claims runs (long-poll), renews their lease with heartbeats (which tell it to
 * stop on a cancel or a timeout), sends progress, and reports each step's result, which hands it
 * the next step. Every call under a lease that is no longer held is 409 lease_lost and writes nothing.
 */
@ApiTags('workers')
@ApiV1Controller('workers')
export class WorkerProtocolController {
  constructor(
    private readonly claims: RemoteClaimService,
    private readonly remote: RemoteExecutorService,
  ) {}

  @Post('claims')
  @HttpCode(200)
  @Authenticated(Permission.RunExecute)
  @ApiOperation({
    summary: 'Claim approved runs of the remote actions this worker carries out (long-poll)',
    description:
      'Runs of the projects the worker role is held on, past the approval gate, worker-side RBAC, execution modes and target locks, each with its first step to do. Answered at once when a run is ready; otherwise after wait_seconds with no run. The lease token is shown once.',
  })
  @ApiOkResponse({ type: ClaimResponseDto })
  @ApiErrors({
    400: [...BODY_ERRORS],
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    413: TOO_LARGE,
    422: [PolicyErrorCode.UnknownAction, RunnerErrorCode.ActionNotRemote],
  })
  async claim(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ClaimRunsDto,
    @Res({ passthrough: true })
    reply: { raw: NodeJS.EventEmitter & { writableEnded: boolean; destroyed?: boolean; socket?: { destroyed: boolean } | null } },
  ): Promise<ClaimResponseDto> {
    // A worker that hangs up stops waiting, so no run is handed to a claim nobody will read. (The
    // response's close: the request's own fires once its body was read, before this runs.)
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableEnded) gone.abort();
    };
    reply.raw.once('close', onClose);
    // A worker that hung up before this handler ran (a loaded machine) closed before the listener was there.
    if (reply.raw.destroyed || reply.raw.socket?.destroyed === true) gone.abort();
    try {
      const answer = await this.claims.claim(principal, {
        actions: body.action_types,
        limit: body.max_runs ?? 1,
        waitMs: (body.wait_seconds ?? 0) * 1000,
        signal: gone.signal,
      });
      return ClaimResponseDto.from(answer);
    } finally {
      reply.raw.removeListener('close', onClose);
    }
  }

  @Post('runs/:id/heartbeat')
  @HttpCode(200)
  @Authenticated(Permission.RunExecute)
  @ApiOperation({
    summary: "Renew a run's lease; told to stop when it was cancelled or timed out",
    description: 'A cancel requested, or the deadline passed, ends the run here (its target locks freed) and the answer says stop.',
  })
  @ApiOkResponse({ type: HeartbeatResponseDto })
  @ApiErrors({
    ...RUN_ROUTE_ERRORS,
    409: [RunnerErrorCode.LeaseLost],
    413: TOO_LARGE,
  })
  async heartbeat(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseExecutionIdPipe) id: string,
    @Body() body: LeaseDto,
  ): Promise<HeartbeatResponseDto> {
    return HeartbeatResponseDto.from(await this.remote.heartbeat(principal, id, body.lease_token));
  }

  @Post('runs/:id/progress')
  @HttpCode(202)
  @Authenticated(Permission.RunExecute)
  @ApiOperation({
    summary: "Progress of the running step, on the run's event stream",
    description: 'From the lease holder only; at most 4 KiB of JSON, secrets masked, recorded as a step.progress event on the run.',
  })
  @ApiAcceptedResponse({ description: 'Recorded on the run' })
  @ApiErrors({
    ...RUN_ROUTE_ERRORS,
    409: [RunnerErrorCode.LeaseLost],
    413: [RunnerErrorCode.ResultTooLarge, RequestErrorCode.PayloadTooLarge],
  })
  async progress(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseExecutionIdPipe) id: string,
    @Body() body: StepProgressDto,
  ): Promise<void> {
    if (storedBytes(body.data) > PROGRESS_CAP_BYTES) throw tooLarge('progress data', PROGRESS_CAP_BYTES);
    await this.remote.progress(principal, id, body.lease_token, body.data);
  }

  @Post('runs/:id/steps/:index/result')
  @HttpCode(200)
  @Authenticated(Permission.RunExecute)
  @ApiOperation({
    summary: "A step's result: OK, SKIP:<reason> or FAIL:<detail> with a result, or a retryable error",
    description:
      "Written with what follows: the next step (in this answer) or the run's end. The same result sent again (a retry after a lost answer) gets the same answer, never a second step.",
  })
  @ApiParam({
    name: 'index',
    schema: { type: 'integer', minimum: 0, maximum: MAX_STEP_INDEX },
    description: 'The step handed out (its index in the plan)',
  })
  @ApiOkResponse({ type: StepResultResponseDto })
  @ApiErrors({
    ...RUN_ROUTE_ERRORS,
    409: [RunnerErrorCode.LeaseLost, RunnerErrorCode.StepNotCurrent, RunnerErrorCode.StepAlreadyReported, RunnerErrorCode.RunTimedOut],
    413: [RunnerErrorCode.ResultTooLarge, RequestErrorCode.PayloadTooLarge],
    422: [PolicyErrorCode.UnknownAction, RunnerErrorCode.ActionNotRemote],
  })
  async result(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseExecutionIdPipe) id: string,
    // Typed as text, so the global pipe leaves the path as written (it would turn " " into 0) and STEP_INDEX reads it.
    @Param('index') indexText: string,
    @Body() body: StepResultDto,
  ): Promise<StepResultResponseDto> {
    const index = STEP_INDEX.transform(indexText, { type: 'param', data: 'index' });
    const report = reportOf(body);
    const { answer, claimed } = await this.remote.reportAndClaim(principal, {
      runId: id,
      index,
      leaseToken: body.lease_token,
      report,
      claimNext: body.claim_next ? { actions: body.claim_next.action_types, limit: body.claim_next.max_runs } : undefined,
    });
    return StepResultResponseDto.from(answer, claimed);
  }
}

function reportOf(body: StepResultDto): StepReport {
  if ((body.outcome === undefined) === (body.error === undefined)) {
    throw new RequestException(RequestErrorCode.InvalidValue, 'exactly one of outcome and error is required', {
      fields: ['outcome', 'error'],
    });
  }
  if (body.error !== undefined) {
    if (body.result !== undefined)
      throw new RequestException(RequestErrorCode.InvalidValue, 'a retryable error has no result', { field: 'result' });
    return { kind: 'error', error: body.error };
  }
  if (body.result !== undefined && storedBytes(body.result) > RESULT_CAP_BYTES) throw tooLarge('the result', RESULT_CAP_BYTES);
  return { kind: 'outcome', outcome: body.outcome as string, result: body.result ?? null };
}

function tooLarge(what: string, cap: number): RunnerException {
  return new RunnerException(RunnerErrorCode.ResultTooLarge, `${what} is over ${cap} bytes`, { limit_bytes: cap });
}
