import { BODY_ERRORS, KnownErrorCode, QUERY_ERRORS } from '@lib/common';

import { ExecutionErrorCode } from '@lib/execution';
import { IdentityErrorCode } from '@lib/identity';

/** Error codes shared by the run routes, by the status they answer with. */
export const UNAUTHENTICATED: readonly KnownErrorCode[] = [IdentityErrorCode.Unauthenticated];
export const FORBIDDEN: readonly KnownErrorCode[] = [IdentityErrorCode.Forbidden];
export const RUN_NOT_FOUND: readonly KnownErrorCode[] = [ExecutionErrorCode.ExecutionNotFound];
export const BAD_RUN_ID: readonly KnownErrorCode[] = [ExecutionErrorCode.InvalidExecutionId];
export const BAD_BODY: readonly KnownErrorCode[] = [...BODY_ERRORS];
export const BAD_QUERY: readonly KnownErrorCode[] = [...QUERY_ERRORS];
