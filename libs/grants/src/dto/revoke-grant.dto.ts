import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { IsStorableText, TextLength } from '@lib/common';

export class RevokeGrantDto {
  @ApiProperty({ minLength: 1, maxLength: 2000, description: 'Required: why the grant is revoked' })
  @IsString()
  @TextLength(1, 2000)
  @Matches(/\S/)
  @IsStorableText()
  reason!: string;
}
