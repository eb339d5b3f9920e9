import { Actor, CommandContext } from '@lib/common';
import { ALL_PROJECTS, Permission, Role, ROLE_PERMISSIONS } from './permissions';

export type PrincipalKind = 'person' | 'service';

/**
 * An authenticated principal (a person or a service), as one request sees it: the roles and
 * projects it may use through the credential it presented (for a key narrower than its
 * principal, what both allow), and that credential, which the audit trail records.
 */
export class Principal {
  readonly permissions: ReadonlySet<Permission>;
  readonly kind: PrincipalKind;
  /** `api_key:<id>`, or `oidc:<token id>` for an access token from the identity provider. */
  readonly credential: string;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly roles: readonly Role[],
    readonly projectIds: readonly string[],
    options: { kind?: PrincipalKind; credential?: string } = {},
  ) {
    this.permissions = new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role] ?? []));
    this.kind = options.kind ?? 'service';
    this.credential = options.credential ?? `api_key:${id}`;
  }

  get actor(): Actor {
    return { id: this.id, kind: this.kind, credential: this.credential };
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

/** What a key (or a rule) narrows a principal to: the roles and projects both allow. */
export function narrow(
  principal: { roles: readonly string[]; projectIds: readonly string[] },
  by: { roles: readonly string[]; projectIds: readonly string[] },
): { roles: Role[]; projectIds: string[] } {
  const roles = principal.roles.filter((role) => by.roles.includes(role)) as Role[];
  const covers = (scope: readonly string[], project: string) => scope.includes(ALL_PROJECTS) || scope.includes(project);
  const projectIds = [
    ...principal.projectIds.filter((project) => covers(by.projectIds, project)),
    ...by.projectIds.filter((project) => project !== ALL_PROJECTS && covers(principal.projectIds, project)),
  ];
  return { roles, projectIds: [...new Set(projectIds)].sort() };
}
