import { DomainException } from './domain.exception';

/** Errors of the HTTP edge itself: malformed bodies, validation, unknown routes. */
export enum RequestErrorCode {
  MalformedJson = 'malformed_json',
  EmptyBody = 'empty_body',
  BodyNotObject = 'body_not_object',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  UnknownField = 'unknown_field',
  MissingField = 'missing_field',
  InvalidType = 'invalid_type',
  InvalidLength = 'invalid_length',
  InvalidFormat = 'invalid_format',
  InvalidValue = 'invalid_value',
  ParamsNotObject = 'params_not_object',
  RouteNotFound = 'route_not_found',
  MethodNotAllowed = 'method_not_allowed',
  BadRequest = 'bad_request',
  /** A position (after, Last-Event-ID) that is not one: not digits, or past bigint's range. */
  InvalidCursor = 'invalid_cursor',
  /** A JSON body nested deeper than any request needs. */
  NestingTooDeep = 'nesting_too_deep',
  /** A path that is not valid percent-encoded UTF-8. */
  MalformedPath = 'malformed_path',
  /** A path segment longer than any id or code the API has. */
  PathTooLong = 'path_too_long',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const REQUEST_ERROR_STATUS: Readonly<Record<RequestErrorCode, number>> = {
  [RequestErrorCode.MalformedJson]: 400,
  [RequestErrorCode.EmptyBody]: 400,
  [RequestErrorCode.BodyNotObject]: 400,
  [RequestErrorCode.PayloadTooLarge]: 413,
  [RequestErrorCode.UnsupportedMediaType]: 415,
  [RequestErrorCode.UnknownField]: 400,
  [RequestErrorCode.MissingField]: 400,
  [RequestErrorCode.InvalidType]: 400,
  [RequestErrorCode.InvalidLength]: 400,
  [RequestErrorCode.InvalidFormat]: 400,
  [RequestErrorCode.InvalidValue]: 400,
  [RequestErrorCode.ParamsNotObject]: 400,
  [RequestErrorCode.RouteNotFound]: 404,
  [RequestErrorCode.MethodNotAllowed]: 405,
  [RequestErrorCode.BadRequest]: 400,
  [RequestErrorCode.InvalidCursor]: 400,
  [RequestErrorCode.NestingTooDeep]: 400,
  [RequestErrorCode.MalformedPath]: 400,
  [RequestErrorCode.PathTooLong]: 414,
};

export class RequestException extends DomainException<RequestErrorCode> {}

/** The 400 codes a validated query string can earn. */
export const QUERY_ERRORS = [
  RequestErrorCode.UnknownField,
  RequestErrorCode.MissingField,
  RequestErrorCode.InvalidType,
  RequestErrorCode.InvalidLength,
  RequestErrorCode.InvalidFormat,
  RequestErrorCode.InvalidValue,
] as const;

/** The 400 codes any validated body or query can earn (the request validation pipe's). */
export const BODY_ERRORS = [
  RequestErrorCode.MalformedJson,
  RequestErrorCode.EmptyBody,
  RequestErrorCode.BodyNotObject,
  ...QUERY_ERRORS,
] as const;
