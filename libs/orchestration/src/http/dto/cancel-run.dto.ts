import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { IsStorableText, TextLength } from '@lib/common';

export class CancelRunDto {
  @ApiProperty({ minLength: 1, maxLength: 2000, description: 'Required: why the run is cancelled' })
  @IsString()
  @TextLength(1, 2000)
  @Matches(/\S/)
  @IsStorableText()
  reason!: string;
}
