import { ALL_PROJECTS, Permission } from './permissions';
import { grantsFromText, Principal } from './principal';
import { PrincipalRow } from './principal.table';

/**
 * What a caller may do to another principal (mint it a key, disable or enable it): `self` for
 * its own principal; `admin` when the caller's admin grants cover every grant of the target; a
 * target the caller's scope touches but does not cover is `forbidden`, and one outside it is
 * `hidden` (answered as if it did not exist).
 *
 * Never a key that acts as a principal wider than its minter: a person (whose grants come from
 * the identity provider and may span every project tomorrow), a marked service approver (whose
 * votes count), and a principal with a grant on every project, are covered only by an admin of
 * every project.
 */
export type Authority = 'self' | 'admin' | 'forbidden' | 'hidden';

export function authorityOver(caller: Principal, target: PrincipalRow, permission: Permission): Authority {
  if (caller.id === target.id) return 'self';
  const grants = grantsFromText(target.role_grants);
  const everywhereOnly =
    target.kind === 'person' || target.service_approver || grants.length === 0 || grants.some((grant) => grant.project === ALL_PROJECTS);
  const covered = everywhereOnly ? caller.can(permission, ALL_PROJECTS) : grants.every((grant) => caller.can(permission, grant.project));
  if (covered) return 'admin';
  const touches =
    caller.can(permission, ALL_PROJECTS) || grants.some((grant) => grant.project !== ALL_PROJECTS && caller.can(permission, grant.project));
  return touches ? 'forbidden' : 'hidden';
}
