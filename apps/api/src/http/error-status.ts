import { assertUnreachable, KnownErrorCode, RequestErrorCode } from '@lib/common';
import { ApprovalErrorCode } from '@lib/approval';
import { ExecutionErrorCode } from '@lib/execution';
import { GovernanceErrorCode } from '@lib/governance';
import { GrantErrorCode } from '@lib/grants';
import { StateMachineErrorCode } from '@lib/state-machine';
import { DatabaseErrorCode } from '@lib/database';
import { NotificationsErrorCode } from '@lib/notifications';

/**
 * Every error code's HTTP status. KnownErrorCode is the union of every lib's enum (each lib adds
 * its own to ErrorCodeRegistry), so a code that is not mapped here fails to compile.
 */
export function httpStatusOf(code: KnownErrorCode): number {
  switch (code) {
    case RequestErrorCode.MalformedJson:
    case RequestErrorCode.EmptyBody:
    case RequestErrorCode.BodyNotObject:
    case RequestErrorCode.UnknownField:
    case RequestErrorCode.MissingField:
    case RequestErrorCode.InvalidType:
    case RequestErrorCode.InvalidLength:
    case RequestErrorCode.InvalidFormat:
    case RequestErrorCode.InvalidValue:
    case RequestErrorCode.ParamsNotObject:
    case RequestErrorCode.BadRequest:
    case RequestErrorCode.InvalidCursor:
    case RequestErrorCode.NestingTooDeep:
    case RequestErrorCode.MalformedPath:
    case ExecutionErrorCode.InvalidExecutionId:
    case ExecutionErrorCode.IdempotencyKeyMismatch:
    case ExecutionErrorCode.IdempotencyKeyMissing:
    case ExecutionErrorCode.InvalidIdempotencyKey:
    case GrantErrorCode.InvalidAuthCode:
    case ApprovalErrorCode.PlanHashRequired:
      return 400;
    case GovernanceErrorCode.Unauthenticated:
    case GovernanceErrorCode.ApiKeyRevoked:
    case GovernanceErrorCode.ApiKeyExpired:
    case GovernanceErrorCode.TokenInvalid:
    case GovernanceErrorCode.TokenExpired:
    case GovernanceErrorCode.TokenWrongAudience:
    case GovernanceErrorCode.TokenWrongIssuer:
    case GovernanceErrorCode.TokenUnknownSigningKey:
    case GovernanceErrorCode.TokenNotAccepted:
    case GovernanceErrorCode.TokenClaimInvalid:
    case GovernanceErrorCode.PrincipalDisabled:
    case GovernanceErrorCode.ApiKeySuspended:
      return 401;
    case GovernanceErrorCode.Forbidden:
    case ApprovalErrorCode.SelfApprovalForbidden:
    case ApprovalErrorCode.NotRequester:
    case ApprovalErrorCode.DeciderIneligible:
      return 403;
    case RequestErrorCode.RouteNotFound:
    case ExecutionErrorCode.ExecutionNotFound:
    case GrantErrorCode.GrantNotFound:
    case GovernanceErrorCode.AuditChainNotFound:
    case ExecutionErrorCode.DlqEntryNotFound:
    case GovernanceErrorCode.ApiKeyNotFound:
    case GovernanceErrorCode.PrincipalNotFound:
    case NotificationsErrorCode.WebhookNotFound:
    case NotificationsErrorCode.WebhookDeliveryNotFound:
      return 404;
    case RequestErrorCode.MethodNotAllowed:
      return 405;
    case ExecutionErrorCode.IdempotencyConflict:
    case StateMachineErrorCode.TransitionConflict:
    case StateMachineErrorCode.IllegalTransition:
    case ExecutionErrorCode.RunNotCancellable:
    case ExecutionErrorCode.CancelTooLate:
    case ExecutionErrorCode.DlqAlreadyRedriven:
    case ApprovalErrorCode.ApprovalAlreadyDecided:
    case ApprovalErrorCode.ApprovalMissing:
    case ApprovalErrorCode.ApprovalExpired:
    case ApprovalErrorCode.ApprovalNotDeferred:
    case ApprovalErrorCode.AlreadyVoted:
    case ApprovalErrorCode.PlanLocked:
    case ApprovalErrorCode.ApprovalRequired:
    case ApprovalErrorCode.PlanChanged:
    case GrantErrorCode.GrantAlreadyConsumed:
    case GrantErrorCode.GrantExpired:
    case GrantErrorCode.GrantRevoked:
    case GovernanceErrorCode.ApiKeyAlreadyRevoked:
    case GovernanceErrorCode.PrincipalInactive:
    case GovernanceErrorCode.PrincipalAlreadyDisabled:
    case GovernanceErrorCode.PrincipalNotDisabled:
    case NotificationsErrorCode.WebhookDeliveryNotDead:
    case NotificationsErrorCode.WebhookLimitReached:
      return 409;
    case GovernanceErrorCode.UnknownAction:
    case GovernanceErrorCode.ScopeNotAllowed:
    case NotificationsErrorCode.WebhookUrlNotAllowed:
    case GovernanceErrorCode.ActionDisabled:
      return 422;
    case RequestErrorCode.PayloadTooLarge:
      return 413;
    case RequestErrorCode.PathTooLong:
      return 414;
    case RequestErrorCode.UnsupportedMediaType:
      return 415;
    case DatabaseErrorCode.DatabaseUnavailable:
    case GovernanceErrorCode.IdentityProviderUnavailable:
      return 503;
    default:
      return assertUnreachable(code);
  }
}
