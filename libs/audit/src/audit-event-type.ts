/** Every event type the control plane writes. One enum, so a typo cannot invent a new type. */
export enum AuditEventType {
  RunCreated = 'run.created',
  RunDedupHit = 'run.dedup_hit',
  RunIdempotencyConflict = 'run.idempotency_conflict',
  ApprovalApproved = 'approval.approved',
  ApprovalRejected = 'approval.rejected',
  ApprovalDecisionConflict = 'approval.decision_conflict',
  ApprovalSelfApprovalDenied = 'approval.self_approval_denied',
  RunStatusChanged = 'run.status_changed',
  ApiKeyCreated = 'api_key.created',
}
