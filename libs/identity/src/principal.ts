import { Actor, CommandContext } from '@lib/common';
import { ALL_PROJECTS, Permission, Role, ROLE_PERMISSIONS } from './permissions';

export type PrincipalKind = 'person' | 'service' | 'agent';

export interface PrincipalOptions {
  readonly kind?: PrincipalKind;
  readonly credential?: string;
  readonly credentialExpiresAt?: Date | null;
  /** For an agent: the person it acts for. */
  readonly actsFor?: string | null;
  /** The HTTP request it is calling in (see ctx). */
  readonly requestId?: string;
}

/**
 * A role on a project (or on every project, `*`). A principal holds a set of them, never "these
 * roles" times "these projects": approver on oi-b and requester on oi-a is not approver on oi-a.
 * Stored as `role@project` (project ids cannot hold `@`).
 */
export interface RoleGrant {
  readonly role: Role;
  readonly project: string;
}

/** Whether a grant on `held` reaches `wanted` (a grant on every project reaches any one, and `*` itself). */
function reaches(held: string, wanted: string): boolean {
  return held === ALL_PROJECTS || held === wanted;
}

/**
 * An authenticated principal (a person or a service), as one request sees it: the role grants it
 * may use through the credential it presented (for a key narrower than its principal, what both
 * allow), and that credential, which the audit trail records. Every permission is asked for on a
 * project (or on every project); a grant of one role on one project never lends another.
 */
export class Principal {
  readonly kind: PrincipalKind;
  /** `api_key:<id>`, or `oidc:<token id>` for an access token from the identity provider. */
  readonly credential: string;
  readonly grants: readonly RoleGrant[];
  /** When the credential of this request stops working (a key's expiry), null: never. A key it mints for itself lives no longer. */
  readonly credentialExpiresAt: Date | null;
  /** For an agent: the person it acts for (who answers for what it asks); null otherwise. */
  readonly actsFor: string | null;

  constructor(
    readonly id: string,
    readonly name: string,
    grants: readonly RoleGrant[],
    options: PrincipalOptions = {},
  ) {
    this.grants = normalizeGrants(grants);
    this.kind = options.kind ?? 'service';
    this.credential = options.credential ?? `api_key:${id}`;
    this.credentialExpiresAt = options.credentialExpiresAt ?? null;
    this.actsFor = options.actsFor ?? null;
    this.options = options;
  }

  private readonly options: PrincipalOptions;

  /** The same principal, calling in this request: what a route's one caller parameter is. */
  inRequest(requestId: string): Principal {
    return new Principal(this.id, this.name, this.grants, { ...this.options, requestId });
  }

  /** The actor and request id of the command this caller runs (a principal of a request only). */
  get ctx(): CommandContext {
    if (this.options.requestId === undefined) throw new Error('a principal outside a request has no command context');
    return this.context(this.options.requestId);
  }

  /** A principal holding each of these roles on each of these projects (tests, and keys minted as a product). */
  static of(id: string, name: string, roles: readonly Role[], projectIds: readonly string[], options: PrincipalOptions = {}): Principal {
    return new Principal(id, name, product(roles, projectIds), options);
  }

  get actor(): Actor {
    return { id: this.id, kind: this.kind, credential: this.credential, ...(this.actsFor ? { actsFor: this.actsFor } : {}) };
  }

  /** The roles it holds somewhere (for display). */
  get roles(): Role[] {
    return [...new Set(this.grants.map((grant) => grant.role))].sort();
  }

  /** The projects it holds some role on (for display). */
  get projectIds(): string[] {
    const projects = new Set(this.grants.map((grant) => grant.project));
    return projects.has(ALL_PROJECTS) ? [ALL_PROJECTS] : [...projects].sort();
  }

  /**
   * Whether a role it holds grants the permission: on `projectId` when named (`*`: on every
   * project, which only a grant on `*` is), else on some project.
   */
  can(permission: Permission, projectId?: string): boolean {
    return this.grants.some(
      (grant) => ROLE_PERMISSIONS[grant.role].includes(permission) && (projectId === undefined || reaches(grant.project, projectId)),
    );
  }

  /** The projects where it has the permission; null: every project. */
  projectsWith(permission: Permission): string[] | null {
    return this.projectsOfGrants((grant) => ROLE_PERMISSIONS[grant.role].includes(permission));
  }

  /** The projects where it holds one of these roles; null: every project. */
  projectsWithRole(roles: readonly Role[]): string[] | null {
    return this.projectsOfGrants((grant) => roles.includes(grant.role));
  }

  /** The projects of the grants that pass; null when one of them is on every project. */
  private projectsOfGrants(passes: (grant: RoleGrant) => boolean): string[] | null {
    const held = this.grants.filter(passes).map((grant) => grant.project);
    return held.includes(ALL_PROJECTS) ? null : [...new Set(held)].sort();
  }

  /** Whether it holds one of these roles on the project. */
  hasRoleOn(roles: readonly Role[], projectId: string): boolean {
    return this.grants.some((grant) => roles.includes(grant.role) && reaches(grant.project, projectId));
  }

  /** Whether it holds any role on the project: a thing there is one it may know exists. */
  seesProject(projectId: string): boolean {
    return this.grants.some((grant) => reaches(grant.project, projectId));
  }

  context(requestId: string): CommandContext {
    return { actor: this.actor, requestId };
  }
}

/** Each role on each project: what a key minted with `roles` and `project_ids` holds. */
export function product(roles: readonly Role[], projectIds: readonly string[]): RoleGrant[] {
  return roles.flatMap((role) => projectIds.map((project) => ({ role, project })));
}

/** Sorted, without duplicates, and without a grant another on `*` of the same role already covers. */
export function normalizeGrants(grants: readonly RoleGrant[]): RoleGrant[] {
  const everywhere = new Set(grants.filter((grant) => grant.project === ALL_PROJECTS).map((grant) => grant.role));
  const kept = new Map<string, RoleGrant>();
  for (const grant of grants) {
    if (grant.project !== ALL_PROJECTS && everywhere.has(grant.role)) continue;
    kept.set(grantText(grant), { role: grant.role, project: grant.project });
  }
  return [...kept.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, grant]) => grant);
}

/**
 * What a key (or a rule) narrows a principal to: the grants both hold, pair by pair. A key's
 * grant on `*` narrowed by the principal's grant of that role on one project is that project.
 */
export function narrow(held: readonly RoleGrant[], by: readonly RoleGrant[]): RoleGrant[] {
  const result: RoleGrant[] = [];
  for (const want of by) {
    for (const have of held) {
      if (have.role !== want.role) continue;
      if (reaches(have.project, want.project)) result.push(want);
      else if (want.project === ALL_PROJECTS) result.push(have);
    }
  }
  return normalizeGrants(result);
}

/** Whether every grant of `inner` is reached by one of `outer` of the same role. */
export function grantsWithin(inner: readonly RoleGrant[], outer: readonly RoleGrant[]): boolean {
  return inner.every((want) => outer.some((have) => have.role === want.role && reaches(have.project, want.project)));
}

/** `role@project`, as the database stores a grant. */
export function grantText(grant: RoleGrant): string {
  return `${grant.role}@${grant.project}`;
}

export function grantsToText(grants: readonly RoleGrant[]): string[] {
  return normalizeGrants(grants).map(grantText);
}

/** Grants as stored; an entry that is not one (the database's CHECK forbids it) is dropped, never widened. */
export function grantsFromText(stored: readonly string[]): RoleGrant[] {
  const roles = new Set<string>(Object.values(Role));
  const grants: RoleGrant[] = [];
  for (const entry of stored) {
    const at = entry.indexOf('@');
    const role = entry.slice(0, at);
    if (at > 0 && roles.has(role)) grants.push({ role: role as Role, project: entry.slice(at + 1) });
  }
  return normalizeGrants(grants);
}
