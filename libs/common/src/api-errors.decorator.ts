import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { KnownErrorCode } from './index';

/**
 * The one error body, `{"error": {"code", "message", "details"?}, "request_id"}`, with the codes
 * a response can carry as an enum, so a generated client can switch on them.
 */
export function errorResponseSchema(codes: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    required: ['error', 'request_id'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', enum: [...new Set(codes)].sort(), example: codes[0] },
          message: { type: 'string', example: 'what went wrong, for a person to read' },
          details: { type: 'object', additionalProperties: true, description: 'Facts about the refusal (the field, the status, the id)' },
        },
      },
      request_id: { type: 'string', description: 'Also sent as the X-Request-Id header', example: '0b5c2f4e-7d7a-4a43-9f5e-0f5a1a8d2c11' },
    },
  };
}

/**
 * Documents the error responses of a route: each status with the codes it can carry, named by
 * their enums (a test checks that each code's mapped status is the one it is listed under).
 */
export function ApiErrors(errors: Readonly<Partial<Record<number, readonly KnownErrorCode[]>>>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(errors).map(([status, codes]) =>
      ApiResponse({
        status: Number(status),
        description: `error.code: ${(codes ?? []).join(' | ')}`,
        schema: errorResponseSchema(codes ?? []),
      }),
    ),
  );
}
