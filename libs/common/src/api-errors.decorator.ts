import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import type { KnownErrorCode } from './index';

export class ErrorDetailDto {
  @ApiProperty({ example: 'idempotency_conflict' }) code!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

/** The one error body: `{"error": {"code", "message", "details"?}, "request_id"}`. */
export class ErrorResponseDto {
  @ApiProperty({ type: ErrorDetailDto }) error!: ErrorDetailDto;
  @ApiProperty({ description: 'Also sent as the X-Request-Id header' }) request_id!: string;
}

/**
 * Documents the error responses of a route: each status with the codes it can carry, named by
 * their enums (a test checks that each code's mapped status is the one it is listed under).
 */
export function ApiErrors(errors: Readonly<Partial<Record<number, readonly KnownErrorCode[]>>>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(errors).map(([status, codes]) =>
      ApiResponse({ status: Number(status), type: ErrorResponseDto, description: `error.code: ${(codes ?? []).join(' | ')}` }),
    ),
  );
}
