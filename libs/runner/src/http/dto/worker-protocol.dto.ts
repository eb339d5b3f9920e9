import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { CODE_PATTERN, IsJsonObject, IsStorableJson, IsStorableText, TextLength } from '@lib/common';
import { RunStatus } from '@lib/execution';
import { ClaimAnswer, HandedRun, HandedStep, HeartbeatAnswer, ReportAnswer } from '../../remote/remote-lease';

/** A lease token as the API hands them out: 32 random bytes, base64url. */
export const LEASE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** What a step may answer: OK, SKIP:<reason> or FAIL:<detail> (the handler outcomes of the built-in handlers). */
export const STEP_OUTCOME_PATTERN = /^(OK|SKIP:[^\p{Cc}]{1,500}|FAIL:[^\p{Cc}]{1,2000})$/u;
export const MAX_CLAIM_WAIT_SECONDS = 30;
export const MAX_RUNS_PER_CLAIM = 50;

/** The remote action types a worker carries out: 1 to 20 codes. */
function ActionTypesField(): PropertyDecorator {
  return applyDecorators(IsArray(), ArrayMinSize(1), ArrayMaxSize(20), IsString({ each: true }), Matches(CODE_PATTERN, { each: true }));
}

function LeaseTokenField(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({
      pattern: LEASE_TOKEN_PATTERN.source,
      description: 'The lease token of the claim that handed the run out (a secret: never in a URL)',
    })(target, key);
    IsString()(target, key);
    Matches(LEASE_TOKEN_PATTERN, { message: 'lease_token must be a lease token as a claim answers it' })(target, key);
  };
}

export class ClaimRunsDto {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: 20,
    description: 'The remote action types this worker carries out',
    example: ['deploy.remote'],
  })
  @ActionTypesField()
  action_types!: string[];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_RUNS_PER_CLAIM,
    default: 1,
    description: "At most this many runs (the worker's free slots)",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RUNS_PER_CLAIM)
  max_runs?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_CLAIM_WAIT_SECONDS,
    default: 0,
    description: 'How long to wait for a run when none is ready (long-poll): answered at once when one becomes ready',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_CLAIM_WAIT_SECONDS)
  wait_seconds?: number;
}

/** What a result may also ask for: the worker's next runs, in the same answer, once this one is over. */
export class ClaimNextDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 20, description: 'The remote action types this worker carries out' })
  @ActionTypesField()
  action_types!: string[];

  @ApiProperty({ minimum: 1, maximum: MAX_RUNS_PER_CLAIM, description: 'At most this many runs (the slots free once this run is over)' })
  @IsInt()
  @Min(1)
  @Max(MAX_RUNS_PER_CLAIM)
  max_runs!: number;
}

export class LeaseDto {
  @LeaseTokenField()
  lease_token!: string;
}

export class StepProgressDto extends LeaseDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "Progress for the run's event stream (at most 4 KiB; secrets masked)",
  })
  @IsJsonObject()
  @IsStorableJson()
  data!: Record<string, unknown>;
}

export class StepResultDto extends LeaseDto {
  @ApiPropertyOptional({
    pattern: STEP_OUTCOME_PATTERN.source,
    description: 'OK, SKIP:<reason> or FAIL:<detail> (FAIL ends the run FAILED). Exactly one of outcome and error.',
    example: 'OK',
  })
  @IsOptional()
  @IsString()
  @Matches(STEP_OUTCOME_PATTERN)
  @IsStorableText()
  outcome?: string;

  @ApiPropertyOptional({
    description: "With OK or SKIP: the step's result, any JSON up to 10 KiB (secrets masked)",
    example: { version: '1.4.2' },
  })
  @IsOptional()
  @IsStorableJson()
  result?: unknown;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 2000,
    description:
      'A retryable failure: the run goes back to the queue with backoff (or to the dead-letter queue). Exactly one of outcome and error.',
  })
  @IsOptional()
  @IsString()
  @TextLength(1, 2000)
  @IsStorableText()
  error?: string;

  @ApiPropertyOptional({
    type: ClaimNextDto,
    description:
      'When this result ends the run: claim the next runs in the same answer (as a claim without waiting), so a busy worker makes one request per run',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ClaimNextDto)
  claim_next?: ClaimNextDto;
}

export class PlannedStepDto {
  @ApiProperty({ type: 'integer', minimum: 0 }) index!: number;
  @ApiProperty() name!: string;
}

export class HandedStepDto extends PlannedStepDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'What the step works on: the run\'s params (and its target or targets), with every {"$secret": name} resolved for this answer only',
  })
  input!: Record<string, unknown>;

  static from(step: HandedStep): HandedStepDto {
    return { index: step.index, name: step.name, input: step.input };
  }
}

export class RemoteRunDto {
  @ApiProperty({ format: 'uuid' }) execution_id!: string;
  @ApiProperty() project_id!: string;
  @ApiProperty() action!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'As requested: secrets stay references here' })
  params!: Record<string, unknown>;
  @ApiProperty({ type: [String] }) targets!: string[];
  @ApiProperty({ description: 'The hash of the plan that was approved' }) plan_hash!: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 3 }) approval_level!: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) attempt!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "Why the previous attempt ended (null on the first): the error a worker reported, or the reaper's note that a worker lost its lease. A worker whose step is not safe to repeat reads it to tell an attempt that never started the work from one that may have done it.",
  })
  previous_error!: string | null;
  @ApiProperty({ format: 'date-time', description: 'The lease runs out then unless a heartbeat renews it' }) lease_expires_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'The run is TIMED_OUT then' })
  deadline_at!: string | null;
  @ApiProperty({ type: [PlannedStepDto], description: 'Every step of the plan, in order' }) steps!: PlannedStepDto[];
  @ApiProperty({
    type: HandedStepDto,
    description: 'The step to carry out now (steps done in an earlier attempt are not handed out again)',
  })
  step!: HandedStepDto;

  static from(handed: HandedRun): RemoteRunDto {
    const { run } = handed;
    return {
      execution_id: run.id,
      project_id: run.project_id,
      action: run.action,
      params: run.params,
      targets: run.targets,
      plan_hash: run.plan_hash,
      approval_level: run.approval_level,
      attempt: run.attempt,
      previous_error: run.attempt > 1 ? run.last_error : null,
      lease_expires_at: (run.lease_expires_at as Date).toISOString(),
      deadline_at: run.deadline_at?.toISOString() ?? null,
      steps: handed.planned.map((step, index) => ({ index, name: step.name })),
      step: HandedStepDto.from(handed.step),
    };
  }
}

export class ClaimResponseDto {
  @ApiProperty({ description: 'Holds every run of this answer: send it with each heartbeat, progress and result (a secret, shown once)' })
  lease_token!: string;
  @ApiProperty({ type: 'integer', description: 'How long a lease lasts without a heartbeat' }) lease_ms!: number;
  @ApiProperty({ type: 'integer', description: 'How often to send a heartbeat' }) heartbeat_interval_ms!: number;
  @ApiProperty({ type: [RemoteRunDto], description: 'Empty when no run was ready within wait_seconds' }) runs!: RemoteRunDto[];

  static from(answer: ClaimAnswer): ClaimResponseDto {
    return {
      lease_token: answer.leaseToken,
      lease_ms: answer.leaseMs,
      heartbeat_interval_ms: answer.heartbeatMs,
      runs: answer.runs.map((run) => RemoteRunDto.from(run)),
    };
  }
}

export class HeartbeatResponseDto {
  @ApiProperty({ format: 'date-time' }) lease_expires_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) deadline_at!: string | null;
  @ApiProperty({
    enum: ['cancelled', 'timed_out'],
    nullable: true,
    description: 'Set when the run ended under the worker (a cancel, its timeout): stop the step; its result would be refused',
  })
  stop!: 'cancelled' | 'timed_out' | null;

  static from(answer: HeartbeatAnswer): HeartbeatResponseDto {
    return {
      lease_expires_at: answer.leaseExpiresAt.toISOString(),
      deadline_at: answer.deadlineAt?.toISOString() ?? null,
      stop: answer.stop,
    };
  }
}

export class StepResultResponseDto {
  @ApiProperty({ format: 'uuid' }) execution_id!: string;
  @ApiProperty({
    enum: RunStatus,
    description: 'The run after this result: RUNNING with a next step, or where it ended (or BLOCKED before a level-3 step)',
  })
  status!: string;
  @ApiProperty({
    type: HandedStepDto,
    nullable: true,
    description: 'The next step to carry out under the same lease, when the run goes on',
  })
  next_step!: HandedStepDto | null;
  @ApiProperty({
    type: ClaimResponseDto,
    nullable: true,
    description: 'With claim_next, once the run is over: the next runs, under a lease of their own (null: not asked, or the run goes on)',
  })
  claimed!: ClaimResponseDto | null;

  static from(answer: ReportAnswer, claimed: ClaimAnswer | null = null): StepResultResponseDto {
    return {
      execution_id: answer.run.id,
      status: answer.run.status,
      next_step: answer.next ? HandedStepDto.from(answer.next) : null,
      claimed: claimed ? ClaimResponseDto.from(claimed) : null,
    };
  }
}
