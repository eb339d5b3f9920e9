import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsStorableText, IsTimestamp } from '@lib/common';

const NOT_BLANK = /\S/;

export class ApproveDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  @Matches(NOT_BLANK)
  @IsStorableText()
  reason?: string;
}

export class ReasonDto {
  @ApiProperty({ minLength: 1, maxLength: 2000, description: 'Required' })
  @IsString()
  @IsNotEmpty()
  @Length(1, 2000)
  @Matches(NOT_BLANK)
  @IsStorableText()
  reason!: string;
}

export class RejectDto extends ReasonDto {}

export class DeferDto extends ReasonDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Until when the decision is deferred; the worker reopens a new pending lane then',
  })
  @IsOptional()
  @IsTimestamp()
  until?: string;
}

export class ReopenDto extends ApproveDto {}
