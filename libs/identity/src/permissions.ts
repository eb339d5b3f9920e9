/**
 * Glossary
 * - role: what a key holder is (requester, approver, admin, monitor, worker); a key carries one or more.
 *   monitor reads metrics and nothing else (what a Prometheus scraper is given); worker carries
 *   out approved runs of remote action types in its projects, and nothing else (a service only).
 * - permission: what a route or command needs; roles grant permissions through ROLE_PERMISSIONS.
 * - project scope: the projects a key may touch, or `*` for all of them.
 */
export enum Role {
  Requester = 'requester',
  Approver = 'approver',
  Admin = 'admin',
  Monitor = 'monitor',
  Worker = 'worker',
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
  /** Claiming approved runs of remote action types and reporting their steps (a worker, never an admin). */
  RunExecute = 'run:execute',
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
  // An admin does everything but carry runs out: that is a worker's, so no admin key can report a step.
  [Role.Admin]: Object.values(Permission).filter((permission) => permission !== Permission.RunExecute),
  [Role.Monitor]: [Permission.SelfRead, Permission.MetricsRead],
  [Role.Worker]: [Permission.SelfRead, Permission.RunExecute],
};
