import { BODY_ERRORS, KnownErrorCode, QUERY_ERRORS } from '@lib/common';
import { GovernanceErrorCode } from '@lib/governance';
import { ExecutionErrorCode } from '@lib/execution';

/** Error codes shared by the run routes, by the status they answer with. */
export const UNAUTHENTICATED: readonly KnownErrorCode[] = [GovernanceErrorCode.Unauthenticated];
export const FORBIDDEN: readonly KnownErrorCode[] = [GovernanceErrorCode.Forbidden];
export const RUN_NOT_FOUND: readonly KnownErrorCode[] = [ExecutionErrorCode.ExecutionNotFound];
export const BAD_RUN_ID: readonly KnownErrorCode[] = [ExecutionErrorCode.InvalidExecutionId];
export const BAD_BODY: readonly KnownErrorCode[] = [...BODY_ERRORS];
export const BAD_QUERY: readonly KnownErrorCode[] = [...QUERY_ERRORS];
