import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsJsonObject, IsStorableJson, IsStorableText } from '@lib/common';

/** The new plan. Omitted fields become empty ({} and []), as on create. */
export class ReplacePlanDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsJsonObject()
  @IsStorableJson()
  params?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @IsString({ each: true })
  @Length(1, 255, { each: true })
  @IsStorableText({ each: true })
  @Matches(/^[^\p{Cc}]+$/u, { each: true })
  targets?: string[];
}
