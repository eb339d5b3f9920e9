import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { IsStorableText, IsTimestamp, ReasonField, TextLength } from '@lib/common';

const NOT_BLANK = /\S/;

/** The plan the approver was shown: required at approval levels 2 and 3, optional at 1. */
function PlanHashField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      pattern: '^[0-9a-f]{64}$',
      description:
        "The run's plan_hash as the approver saw it; required at levels 2 and 3, and at level 1 once someone other than the requester changed the plan. A different one is refused (409 plan_changed).",
    }),
    IsOptional(),
    IsString(),
    Matches(/^[0-9a-f]{64}$/),
  );
}

/** A reason the decision may give: 1 to 2000 characters, not blank. */
function OptionalReasonField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ minLength: 1, maxLength: 2000 }),
    IsOptional(),
    IsString(),
    TextLength(1, 2000),
    Matches(NOT_BLANK),
    IsStorableText(),
  );
}

export class ApproveDto {
  @PlanHashField()
  plan_hash?: string;

  @OptionalReasonField()
  reason?: string;
}

export class ReasonDto {
  @ReasonField('Required')
  reason!: string;
}

export class RejectDto extends ReasonDto {
  @PlanHashField()
  plan_hash?: string;
}

export class DeferDto extends ReasonDto {
  @PlanHashField()
  plan_hash?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Until when the decision is deferred; the worker reopens a new pending lane then',
  })
  @IsOptional()
  @IsTimestamp()
  until?: string;
}

export class ReopenDto {
  @OptionalReasonField()
  reason?: string;
}
