import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsStorableText, ReasonField, TextLength } from '@lib/common';
import { PurgedRun } from '@lib/execution';

/** A hundred years: long enough for any retention period, small enough for an interval. */
const MAX_AGE_SECONDS = 3_153_600_000;

export class PurgeRunsDto {
  @ApiProperty({
    minimum: 0,
    maximum: MAX_AGE_SECONDS,
    description: 'Purge runs that ended at least this many seconds ago (by the database clock), e.g. 7776000 for 90 days',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_AGE_SECONDS)
  older_than_seconds!: number;

  @ApiPropertyOptional({ minLength: 1, maxLength: 255, description: 'Only this project; every project the key covers when absent' })
  @IsOptional()
  @IsString()
  @TextLength(1, 255)
  @IsStorableText()
  project_id?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100, description: 'At most this many runs per call (oldest first)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ReasonField('Required: why, for the audit trail (e.g. the retention policy)')
  reason!: string;
}

export class PurgedRunDto {
  @ApiProperty({ format: 'uuid' }) execution_id!: string;
  @ApiProperty() project_id!: string;
  @ApiProperty({ description: 'How the run had ended' }) status!: string;
  @ApiProperty({ format: 'date-time' }) ended_at!: string;

  static from(run: PurgedRun): PurgedRunDto {
    return { execution_id: run.id, project_id: run.project_id, status: run.status, ended_at: run.updated_at.toISOString() };
  }
}

export class PurgeRunsResponseDto {
  @ApiProperty({ type: 'integer', description: 'How many runs were deleted' }) purged!: number;
  /** The deleted runs, oldest first; their audit trails stay */
  runs!: PurgedRunDto[];
  /** True when the limit was reached: more runs may be due, call again */
  more!: boolean;
}
