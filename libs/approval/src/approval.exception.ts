import { DomainException } from '@lib/common';

export enum ApprovalErrorCode {
  ApprovalAlreadyDecided = 'approval_already_decided',
  ApprovalExpired = 'approval_expired',
  ApprovalNotDeferred = 'approval_not_deferred',
  AlreadyVoted = 'already_voted',
  SelfApprovalForbidden = 'self_approval_forbidden',
  /** The decider may not decide this run: not a person (nor a marked service approver), disabled, or tied to the requester (made it, or was made by it). */
  DeciderIneligible = 'decider_ineligible',
  NotRequester = 'not_requester',
  /** A level-3 run paused between steps waits for that step's quorum: its lane is approved or rejected, not deferred. */
  StepApprovalNotDeferrable = 'step_approval_not_deferrable',
  PlanLocked = 'plan_locked',
  ApprovalMissing = 'approval_missing',
  /** The approval gate refused: the run's approval is not approved, expired, or for another plan. */
  ApprovalRequired = 'approval_required',
  /** The decision names a plan the run no longer has: the approver must look again. */
  PlanChanged = 'plan_changed',
  /** At levels 2 and 3 a decision must name the plan_hash the approver was shown. */
  PlanHashRequired = 'plan_hash_required',
  /** A deferral until a time that has already passed would reopen at once: say until when, in the future. */
  DeferUntilPast = 'defer_until_past',
  /** A run's plan changes a bounded number of times; past that, cancel it and request anew. */
  PlanChangeLimit = 'plan_change_limit',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const APPROVAL_ERROR_STATUS: Readonly<Record<ApprovalErrorCode, number>> = {
  [ApprovalErrorCode.ApprovalAlreadyDecided]: 409,
  [ApprovalErrorCode.ApprovalExpired]: 409,
  [ApprovalErrorCode.ApprovalNotDeferred]: 409,
  [ApprovalErrorCode.AlreadyVoted]: 409,
  [ApprovalErrorCode.SelfApprovalForbidden]: 403,
  [ApprovalErrorCode.DeciderIneligible]: 403,
  [ApprovalErrorCode.NotRequester]: 403,
  [ApprovalErrorCode.StepApprovalNotDeferrable]: 409,
  [ApprovalErrorCode.PlanLocked]: 409,
  [ApprovalErrorCode.ApprovalMissing]: 409,
  [ApprovalErrorCode.ApprovalRequired]: 409,
  [ApprovalErrorCode.PlanChanged]: 409,
  [ApprovalErrorCode.PlanHashRequired]: 400,
  [ApprovalErrorCode.DeferUntilPast]: 400,
  [ApprovalErrorCode.PlanChangeLimit]: 409,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    approval: ApprovalErrorCode;
  }
}

export class ApprovalException extends DomainException<ApprovalErrorCode> {}
