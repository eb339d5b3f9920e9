/**
 * Glossary
 * - role: what a key holder is (requester, approver, admin, monitor); a key carries one or more.
 *   monitor reads metrics and nothing else (what a Prometheus scraper is given).
 * - permission: what a route or command needs; roles grant permissions through ROLE_PERMISSIONS.
 * - project scope: the projects a key may touch, or `*` for all of them.
 */
export enum Role {
  Requester = 'requester',
  Approver = 'approver',
  Admin = 'admin',
  Monitor = 'monitor',
}

export enum Permission {
  RunCreate = 'run:create',
  RunRead = 'run:read',
  ApprovalDecide = 'approval:decide',
  ApiKeyCreate = 'api_key:create',
  PolicyRead = 'policy:read',
  GrantRead = 'grant:read',
  GrantConsume = 'grant:consume',
  GrantRevoke = 'grant:revoke',
  AuditRead = 'audit:read',
  RunCancel = 'run:cancel',
  DlqRead = 'dlq:read',
  DlqRedrive = 'dlq:redrive',
  RunPurge = 'run:purge',
  ApiKeyRead = 'api_key:read',
  ApiKeyRevoke = 'api_key:revoke',
  /** Everyone: who am I, and revoking one's own keys. */
  SelfRead = 'self:read',
  MetricsRead = 'metrics:read',
  ExecutionModeRead = 'execution_mode:read',
  /** Switching an action or a level between enabled, record_only and disabled (every project: needs scope `*`). */
  ExecutionModeManage = 'execution_mode:manage',
  WebhookManage = 'webhook:manage',
  /** Disabling and enabling principals; marking service approvers (every project: needs scope `*`). */
  PrincipalManage = 'principal:manage',
}

export const ALL_PROJECTS = '*';

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  [Role.Requester]: [
    Permission.SelfRead,
    Permission.RunCreate,
    Permission.RunRead,
    Permission.RunCancel,
    Permission.PolicyRead,
    Permission.GrantRead,
    Permission.GrantConsume,
    Permission.ExecutionModeRead,
  ],
  [Role.Approver]: [
    Permission.SelfRead,
    Permission.ApprovalDecide,
    Permission.RunRead,
    Permission.RunCancel,
    Permission.PolicyRead,
    Permission.GrantRead,
    Permission.GrantRevoke,
    Permission.AuditRead,
    Permission.DlqRead,
    Permission.ExecutionModeRead,
  ],
  [Role.Admin]: Object.values(Permission),
  [Role.Monitor]: [Permission.SelfRead, Permission.MetricsRead],
};
