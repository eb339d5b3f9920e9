/**
 * Glossary
 * - role: what a key holder is (requester, approver, admin); a key carries one or more.
 * - permission: what a route or command needs; roles grant permissions through ROLE_PERMISSIONS.
 * - project scope: the projects a key may touch, or `*` for all of them.
 */
export enum Role {
  Requester = 'requester',
  Approver = 'approver',
  Admin = 'admin',
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
  ],
  [Role.Admin]: Object.values(Permission),
};
