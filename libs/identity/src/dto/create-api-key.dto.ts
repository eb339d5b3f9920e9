import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEnum,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsReadableName, IsStorableText, IsTimestamp, ReasonField, TextLength, PROJECT_SCOPE_PATTERN } from '@lib/common';
import { Role } from '../permissions';

export class RoleGrantInputDto {
  @ApiProperty({ enum: Role })
  @IsEnum(Role)
  role!: Role;

  @ApiProperty({ description: 'A project id, or * for every project', example: 'payments' })
  @IsString()
  @Matches(PROJECT_SCOPE_PATTERN)
  project_id!: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 128, example: 'deploy-bot' })
  @IsString()
  @TextLength(1, 128)
  @IsStorableText()
  @IsReadableName()
  name!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "A key for this existing principal: one's own (a second key, for rotation), or one whose every role grant the minter administers (a person's, a service approver's, or a principal with a role on every project: an admin of every project). Without it, a new service principal is made with this key.",
  })
  @ValidateIf((_, value) => value !== undefined)
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

  @ApiPropertyOptional({
    type: [RoleGrantInputDto],
    description:
      'What the key holds, each role on its project (instead of roles × project_ids, which grants each role on each project). For an existing principal, a subset of what it holds.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => RoleGrantInputDto)
  role_grants?: RoleGrantInputDto[];

  @ApiPropertyOptional({
    description:
      "For a new service principal: its votes count as an approver's. Only an admin of every project may set it; every other vote must come from a person.",
  })
  @IsOptional()
  @IsBoolean()
  service_approver?: boolean;

  @ApiPropertyOptional({
    enum: ['service', 'agent'],
    description:
      'For a new principal: a service (the default), or an agent (an AI agent requesting runs, e.g. through the MCP gateway). An agent never decides a run, whatever roles it holds, and is never an admin, a worker or a service approver.',
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(['service', 'agent'])
  kind?: 'service' | 'agent';

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "For a new agent: the person it acts for, who answers for what it asks (and so does not decide the agent's runs). The minter itself, or a person whose keys the minter may mint (an admin of every project); the person holds a role on every project the agent does.",
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsUUID()
  acts_for?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When the key stops working (refused with 401 api_key_expired after). A key minted for oneself lives no longer than the key that mints it.',
  })
  @IsOptional()
  @IsTimestamp()
  expires_at?: string;
}

export class RevokeApiKeyDto {
  @ReasonField('Required: why the key is revoked (kept in the audit trail)')
  reason!: string;
}

export class PrincipalChangeDto {
  @ReasonField('Required: why (kept in the audit trail)')
  reason!: string;
}

export class ServiceApproverDto extends PrincipalChangeDto {
  @ApiProperty({ description: "true: this service principal's votes count as an approver's; false: they no longer do" })
  @IsBoolean()
  service_approver!: boolean;
}
