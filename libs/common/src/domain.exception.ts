import type { KnownErrorCode } from './index';

/**
 * The base of every lib's exception. Each lib narrows `code` to its own string enum and adds
 * that enum to ErrorCodeRegistry; the API's global filter maps every code to an HTTP status in
 * one exhaustive switch, so a code that is not mapped fails to compile.
 */
export abstract class DomainException<TCode extends KnownErrorCode = KnownErrorCode> extends Error {
  constructor(
    readonly code: TCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export function assertUnreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
