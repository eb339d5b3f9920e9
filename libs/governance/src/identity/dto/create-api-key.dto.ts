import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsEnum, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { IsStorableText, IsTimestamp, TextLength, PROJECT_SCOPE_PATTERN } from '@lib/common';
import { Role } from '../../permissions';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 128, example: 'deploy-bot' })
  @IsString()
  @TextLength(1, 128)
  @IsStorableText()
  name!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'A key for this existing principal (a second key, for rotation). Without it, a new service principal is made with this key.',
  })
  @IsOptional()
  @IsUUID()
  principal_id?: string;

  @ApiPropertyOptional({
    enum: Role,
    isArray: true,
    example: ['requester'],
    description: 'Required for a new principal. For an existing one, a subset of its roles (all of them when absent).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @IsEnum(Role, { each: true })
  roles?: Role[];

  @ApiPropertyOptional({
    type: [String],
    description: 'Project ids the key may touch, or ["*"] for all; never wider than the minting key. Required for a new principal.',
    example: ['payments'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(PROJECT_SCOPE_PATTERN, { each: true })
  project_ids?: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working (refused with 401 api_key_expired after)' })
  @IsOptional()
  @IsTimestamp()
  expires_at?: string;
}

export class RevokeApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 2000, description: 'Required: why the key is revoked (kept in the audit trail)' })
  @IsString()
  @TextLength(1, 2000)
  @Matches(/\S/)
  @IsStorableText()
  reason!: string;
}
