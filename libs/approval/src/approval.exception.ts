import { DomainException } from '@lib/common';

export enum ApprovalErrorCode {
  ApprovalAlreadyDecided = 'approval_already_decided',
  SelfApprovalForbidden = 'self_approval_forbidden',
  ApprovalMissing = 'approval_missing',
}

export class ApprovalException extends DomainException<ApprovalErrorCode> {
  constructor(code: ApprovalErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
