import type { FastifyRequest } from 'fastify';
import { isStorableString } from '@lib/common';
import { IDEMPOTENCY_KEY_PATTERN } from './dto/create-execution-run.dto';
import { ExecutionErrorCode, ExecutionException } from '@lib/execution';

/** The key from the body or the Idempotency-Key header; both given and different is refused. */
export function resolveIdempotencyKey(fromBody: string | undefined, fromHeader: string | string[] | undefined): string {
  if (Array.isArray(fromHeader)) {
    throw new ExecutionException(ExecutionErrorCode.InvalidIdempotencyKey, 'send one Idempotency-Key header');
  }
  if (fromHeader !== undefined && !(IDEMPOTENCY_KEY_PATTERN.test(fromHeader) && isStorableString(fromHeader))) {
    throw new ExecutionException(
      ExecutionErrorCode.InvalidIdempotencyKey,
      'the Idempotency-Key header must be 1..255 printable characters',
    );
  }
  if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
    throw new ExecutionException(ExecutionErrorCode.IdempotencyKeyMismatch, 'the Idempotency-Key header and body field differ');
  }
  const key = fromBody ?? fromHeader;
  if (key === undefined) {
    throw new ExecutionException(
      ExecutionErrorCode.IdempotencyKeyMissing,
      'idempotency_key is required (body field or Idempotency-Key header)',
    );
  }
  return key;
}

/**
 * A header as the client sent it: undefined when absent, its value when sent once, every value
 * when repeated (Node joins a repeated header into "a, b", which would pass for one value).
 */
export function headerValues(request: FastifyRequest, name: string): string | string[] | undefined {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let index = 0; index < raw.length; index += 2) if (raw[index].toLowerCase() === name) values.push(raw[index + 1]);
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0] : values;
}
