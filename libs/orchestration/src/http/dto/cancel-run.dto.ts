import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsStorableText } from '@lib/common';

export class CancelRunDto {
  @ApiProperty({ minLength: 1, maxLength: 2000, description: 'Required: why the run is cancelled' })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/)
  @IsStorableText()
  reason!: string;
}
