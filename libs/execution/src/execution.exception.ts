import { DomainException } from '@lib/common';

export enum ExecutionErrorCode {
  ExecutionNotFound = 'execution_not_found',
  InvalidExecutionId = 'invalid_execution_id',
  IdempotencyConflict = 'idempotency_conflict',
  IdempotencyKeyMismatch = 'idempotency_key_mismatch',
  IdempotencyKeyMissing = 'idempotency_key_missing',
  InvalidIdempotencyKey = 'invalid_idempotency_key',
  RunNotCancellable = 'run_not_cancellable',
  CancelTooLate = 'cancel_too_late',
  DlqEntryNotFound = 'dlq_entry_not_found',
  DlqAlreadyRedriven = 'dlq_already_redriven',
  /** The action type or its approval level is switched off (execution mode `disabled`): the database refuses the new run. */
  ActionDisabled = 'action_disabled',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const EXECUTION_ERROR_STATUS: Readonly<Record<ExecutionErrorCode, number>> = {
  [ExecutionErrorCode.ExecutionNotFound]: 404,
  [ExecutionErrorCode.InvalidExecutionId]: 400,
  [ExecutionErrorCode.IdempotencyConflict]: 409,
  [ExecutionErrorCode.IdempotencyKeyMismatch]: 400,
  [ExecutionErrorCode.IdempotencyKeyMissing]: 400,
  [ExecutionErrorCode.InvalidIdempotencyKey]: 400,
  [ExecutionErrorCode.RunNotCancellable]: 409,
  [ExecutionErrorCode.CancelTooLate]: 409,
  [ExecutionErrorCode.DlqEntryNotFound]: 404,
  [ExecutionErrorCode.DlqAlreadyRedriven]: 409,
  [ExecutionErrorCode.ActionDisabled]: 422,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    execution: ExecutionErrorCode;
  }
}

export class ExecutionException extends DomainException<ExecutionErrorCode> {}
