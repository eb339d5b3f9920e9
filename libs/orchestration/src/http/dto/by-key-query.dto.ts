import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { IsStorableText, TextLength } from '@lib/common';
import { IDEMPOTENCY_KEY_PATTERN, PROJECT_ID_PATTERN } from './create-execution-run.dto';

export class ByKeyQueryDto {
  @ApiProperty({ pattern: PROJECT_ID_PATTERN.source })
  @IsString()
  @TextLength(1, 128)
  @Matches(PROJECT_ID_PATTERN)
  project_id!: string;

  @ApiProperty({ minLength: 1, maxLength: 255 })
  @IsString()
  @TextLength(1, 255)
  @Matches(IDEMPOTENCY_KEY_PATTERN)
  @IsStorableText()
  idempotency_key!: string;
}
