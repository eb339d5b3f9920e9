import { HttpException, ServiceUnavailableException } from '@nestjs/common';
import { databaseTimeout, databaseUnavailable, isDatabaseUnavailable, isStatementTimeout, RETRY_AFTER_SECONDS } from '@lib/database';
import { DomainException, RequestErrorCode } from '@lib/common';
import { ErrorBody, errorBody } from './error-body';
import { httpStatusOf } from './error-status';

export interface ErrorResponse {
  status: number;
  /** Extra response headers (Retry-After on a 503). */
  headers?: Record<string, string>;
  body: ErrorBody;
  /** True for a fault of ours (500): worth logging with its stack. */
  internal: boolean;
}

/** Fastify's own errors (body parsing, limits) by their code. */
const FASTIFY_CODES: Readonly<Record<string, RequestErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: RequestErrorCode.PayloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: RequestErrorCode.UnsupportedMediaType,
  FST_ERR_CTP_EMPTY_JSON_BODY: RequestErrorCode.EmptyBody,
  FST_ERR_CTP_INVALID_JSON_BODY: RequestErrorCode.MalformedJson,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: RequestErrorCode.BadRequest,
  FST_ERR_BAD_URL: RequestErrorCode.MalformedPath,
  FST_ERR_MAX_PARAM_LENGTH: RequestErrorCode.PathTooLong,
};

/** Messages of our own where Fastify's would quote the request (a path can be kilobytes of anything). */
const FIXED_MESSAGES: Readonly<Partial<Record<RequestErrorCode, string>>> = {
  [RequestErrorCode.MalformedPath]: 'the path is not valid percent-encoded UTF-8',
  [RequestErrorCode.PathTooLong]: 'a path segment is longer than any id the API has (128 characters at most)',
};

const HTTP_STATUS_CODES: Readonly<Record<number, RequestErrorCode>> = {
  400: RequestErrorCode.BadRequest,
  404: RequestErrorCode.RouteNotFound,
  405: RequestErrorCode.MethodNotAllowed,
  413: RequestErrorCode.PayloadTooLarge,
  415: RequestErrorCode.UnsupportedMediaType,
};

/**
 * Turns any thrown value into the one error body. Domain codes map through httpStatusOf; known
 * client errors of Nest and Fastify get their own codes; anything else is a 500 that names only
 * the request id, never internals.
 */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  // PostgreSQL unreachable (down, restarting), wherever it surfaced: 503, try again shortly.
  if (!(error instanceof DomainException) && (isDatabaseUnavailable(error) || error instanceof ServiceUnavailableException)) {
    return toErrorResponse(databaseUnavailable(), requestId);
  }
  // A statement past DB_STATEMENT_TIMEOUT_MS: PostgreSQL cancelled it and its transaction rolled back.
  if (!(error instanceof DomainException) && isStatementTimeout(error)) return toErrorResponse(databaseTimeout(), requestId);
  if (error instanceof DomainException) {
    const status = httpStatusOf(error.code);
    const body = errorBody({ code: error.code, message: error.message, details: error.details, requestId });
    return { status, body, internal: false, ...(status === 503 ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } : {}) };
  }
  const fastifyCode = codeProperty(error);
  if (fastifyCode && FASTIFY_CODES[fastifyCode]) {
    const code = FASTIFY_CODES[fastifyCode];
    return clientError(httpStatusOf(code), code, FIXED_MESSAGES[code] ?? messageOf(error), requestId);
  }
  const clientStatus = clientStatusOf(error);
  if (clientStatus !== undefined) {
    // Fastify's JSON parser raises a SyntaxError with statusCode 400 for malformed bodies.
    const code =
      error instanceof SyntaxError ? RequestErrorCode.MalformedJson : (HTTP_STATUS_CODES[clientStatus] ?? RequestErrorCode.BadRequest);
    return clientError(clientStatus, code, messageOf(error), requestId);
  }
  return {
    status: 500,
    body: errorBody({ code: 'internal_error', message: 'internal error; quote the request id when reporting it', requestId }),
    internal: true,
  };
}

function clientError(status: number, code: RequestErrorCode, message: string, requestId: string): ErrorResponse {
  return { status, body: errorBody({ code, message, requestId }), internal: false };
}

function clientStatusOf(error: unknown): number | undefined {
  const status = error instanceof HttpException ? error.getStatus() : (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function codeProperty(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : 'bad request';
  // Parser messages can quote the body; keep them short.
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
