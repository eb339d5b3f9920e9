import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches } from 'class-validator';
import { IsJsonObject, IsStorableJson, IsStorableText, TextLength, CODE_PATTERN } from '@lib/common';

export const PROJECT_ID_PATTERN = CODE_PATTERN;
/** Printable: any character but a control character. */
export const IDEMPOTENCY_KEY_PATTERN = /^[^\p{Cc}]{1,255}$/u;
export const ACTION_PATTERN = CODE_PATTERN;

/** A plan's params: an optional JSON object that PostgreSQL can store. */
export function ParamsField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: true,
      description: 'A JSON object; defaults to {}.',
      example: { image: 'web:1.4.2' },
    }),
    IsOptional(),
    IsJsonObject(),
    IsStorableJson(),
  );
}

/** A plan's targets: an optional set of up to 256 asset names. */
export function TargetsField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: [String],
      description: 'Assets the action touches; a set (order and duplicates do not matter).',
      example: ['web-1', 'web-2'],
    }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(256),
    IsString({ each: true }),
    TextLength(1, 255, { each: true }),
    IsStorableText({ each: true }),
    Matches(/^[^\p{Cc}]+$/u, { each: true }),
  );
}

export class CreateExecutionRunDto {
  @ApiProperty({ pattern: PROJECT_ID_PATTERN.source, minLength: 1, maxLength: 128, example: 'payments' })
  @IsString()
  @TextLength(1, 128)
  @Matches(PROJECT_ID_PATTERN)
  project_id!: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 255,
    description: 'Required here or in the Idempotency-Key header; if both are given they must match.',
    example: 'deploy-2026-11-22-001',
  })
  @IsOptional()
  @IsString()
  @TextLength(1, 255)
  @Matches(IDEMPOTENCY_KEY_PATTERN)
  @IsStorableText()
  idempotency_key?: string;

  @ApiProperty({ pattern: ACTION_PATTERN.source, example: 'deploy' })
  @IsString()
  @TextLength(1, 128)
  @Matches(ACTION_PATTERN)
  action!: string;

  @ParamsField()
  params?: Record<string, unknown>;

  @TargetsField()
  targets?: string[];
}
