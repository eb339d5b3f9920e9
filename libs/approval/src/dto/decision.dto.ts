import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Length, Matches } from 'class-validator';

const NOT_BLANK = /\S/;

export class ApproveDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  @Matches(NOT_BLANK)
  reason?: string;
}

export class RejectDto {
  @ApiProperty({ minLength: 1, maxLength: 2000, description: 'Required: why the run is rejected' })
  @IsString()
  @IsNotEmpty()
  @Length(1, 2000)
  @Matches(NOT_BLANK)
  reason!: string;
}
