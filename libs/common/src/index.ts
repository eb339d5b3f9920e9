import type { RequestErrorCode } from './request-error';

/**
 * Every error code of the system, by lib. Each lib adds its enum from its exception file
 * (`declare module '@lib/common' { interface ErrorCodeRegistry { … } }`), so the type of
 * DomainException.code is the union of all of them, and the HTTP mapping can be exhaustive.
 */
export interface ErrorCodeRegistry {
  request: RequestErrorCode;
}
export type KnownErrorCode = ErrorCodeRegistry[keyof ErrorCodeRegistry];

export * from './canonical-json';
export * from './hash';
export * from './domain.exception';
export * from './request-error';
export * from './actor';
export * from './storable-json';
export * from './validators';
export * from './api-errors.decorator';
export * from './secret-masker';
export * from './error-serializer';
export * from './serial-trigger';
export * from './api-prefix';
export * from './pattern';
