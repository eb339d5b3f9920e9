import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { PageLimitField } from '@lib/common';
import { DlqEntryRow } from '@lib/execution';
import { ExecutionRunResponseDto } from './execution-run-response.dto';

export class DlqQueryDto {
  @ApiPropertyOptional({ description: 'Include entries already re-driven' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  include_redriven?: boolean;

  @PageLimitField()
  limit?: number;
}

export class DlqEntryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) execution_id!: string;
  @ApiProperty() project_id!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty() last_error!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) redriven_at!: string | null;
  redriven_by!: string | null;

  static from(entry: DlqEntryRow): DlqEntryDto {
    return {
      id: entry.id,
      execution_id: entry.execution_run_id,
      project_id: entry.project_id,
      attempts: entry.attempts,
      last_error: entry.last_error,
      created_at: entry.created_at.toISOString(),
      redriven_at: entry.redriven_at?.toISOString() ?? null,
      redriven_by: entry.redriven_by,
    };
  }
}

export class DlqListDto {
  /** Newest first */
  entries!: DlqEntryDto[];
}

export class DlqRetryResponseDto {
  entry!: DlqEntryDto;
  run!: ExecutionRunResponseDto;
}
