/**
 * The base of every lib's exception. Each lib narrows `code` to its own string enum; the API's
 * global filter maps every code to an HTTP status in one exhaustive switch.
 */
export abstract class DomainException<TCode extends string = string> extends Error {
  protected constructor(
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
