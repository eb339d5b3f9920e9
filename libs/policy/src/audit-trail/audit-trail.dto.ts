import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsCursor, IsStorableText, IsTimestamp, PageLimitField, CODE_PATTERN } from '@lib/common';
import { AuditEventDto } from '@lib/audit';
import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';

export class AuditEventsQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(CODE_PATTERN) project_id?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() execution_id?: string;
  @ApiPropertyOptional({ example: 'approval.approved' }) @IsOptional() @IsString() @Matches(/^[a-z_]+(\.[a-z_]+)+$/) type?: string;
  @ApiPropertyOptional({ description: 'API key id, or "system"' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @IsStorableText()
  actor?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'occurred_at >= from' })
  @IsOptional()
  @IsTimestamp()
  from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'occurred_at < to' }) @IsOptional() @IsTimestamp() to?: string;
  @ApiPropertyOptional({ description: 'Keyset cursor: the next_after of the previous page' })
  @IsOptional()
  @IsCursor()
  after?: string;
  @PageLimitField()
  limit?: number;
}

export class VerifyQueryDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() execution_id!: string;
}

export class BrokenLinkDto {
  @ApiProperty() chain_key!: string;
  @ApiProperty({ description: 'Position of the first bad event' }) id!: string;
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ enum: ['prev_hash_mismatch', 'hash_mismatch'] }) problem!: string;
  expected!: string;
  found!: string;
}

export class VerifyResponseDto {
  @ApiProperty() ok!: boolean;
  @ApiProperty() chains!: number;
  @ApiProperty() events!: number;
  @ApiProperty({ description: 'Events from before the chain existed (no hash)' }) unchained!: number;
  @ApiProperty({ type: BrokenLinkDto, nullable: true }) first_broken_link!: BrokenLinkDto | null;
}

export class LifecycleCountersDto {
  requested!: number;
  approved!: number;
  rejected!: number;
  deferred!: number;
  expired!: number;
  invalidated!: number;
}

export class AuditEventsPageDto {
  @ApiProperty({ type: [AuditEventDto], description: 'Oldest first' }) events!: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `after` for the next page; null on the last page' }) next_after!:
    string | null;
}
