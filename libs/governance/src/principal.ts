import { Actor, CommandContext } from '@lib/common';
import { ALL_PROJECTS, Permission, Role, ROLE_PERMISSIONS } from './permissions';

/** An authenticated API key. */
export class Principal {
  readonly permissions: ReadonlySet<Permission>;

  constructor(
    readonly keyId: string,
    readonly name: string,
    readonly roles: readonly Role[],
    readonly projectIds: readonly string[],
  ) {
    this.permissions = new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role] ?? []));
  }

  get actor(): Actor {
    return { id: this.keyId, kind: 'api_key' };
  }

  can(permission: Permission): boolean {
    return this.permissions.has(permission);
  }

  hasAnyRole(roles: readonly Role[]): boolean {
    return this.roles.some((role) => roles.includes(role));
  }

  coversProject(projectId: string): boolean {
    return this.projectIds.includes(ALL_PROJECTS) || this.projectIds.includes(projectId);
  }

  context(requestId: string): CommandContext {
    return { actor: this.actor, requestId };
  }
}
