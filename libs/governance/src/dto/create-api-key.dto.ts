import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsEnum, IsString, Length, Matches } from 'class-validator';
import { IsStorableText } from '@lib/common';
import { Role } from '../permissions';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 128, example: 'deploy-bot' })
  @IsString()
  @Length(1, 128)
  @IsStorableText()
  name!: string;

  @ApiProperty({ enum: Role, isArray: true, example: ['requester'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @IsEnum(Role, { each: true })
  roles!: Role[];

  @ApiProperty({ type: [String], description: 'Project ids the key may touch, or ["*"] for all.', example: ['payments'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(/^(\*|[A-Za-z0-9._:-]{1,128})$/, { each: true })
  project_ids!: string[];
}
