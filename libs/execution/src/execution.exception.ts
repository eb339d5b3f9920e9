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
}

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    execution: ExecutionErrorCode;
  }
}

export class ExecutionException extends DomainException<ExecutionErrorCode> {}
