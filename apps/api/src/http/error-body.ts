/** The one error body every response uses. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  request_id: string;
}

export function errorBody(input: { code: string; message: string; details?: Record<string, unknown>; requestId: string }): ErrorBody {
  const error: ErrorBody['error'] = { code: input.code, message: input.message };
  if (input.details && Object.keys(input.details).length > 0) error.details = input.details;
  return { error, request_id: input.requestId };
}
