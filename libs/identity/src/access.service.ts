import { Injectable } from '@nestjs/common';

import { ALL_PROJECTS, Permission } from './permissions';
import { Principal } from './principal';
import { IdentityErrorCode, IdentityException } from './identity.exception';

/**
 * The one access check every service calls at the top of a command. A permission is always
 * asked for on a project (the run's, the grant's, the webhook's), or on every project (`*`) for
 * what spans them all; a role held on another project never counts.
 */
@Injectable()
export class AccessService {
  /** The permission (on the project, when one is named): 403 forbidden when it is missing. */
  assertAllowed(principal: Principal, permission: Permission, projectId?: string): void {
    if (!principal.can(permission)) {
      throw new IdentityException(IdentityErrorCode.Forbidden, `this key lacks the permission ${permission}`, { permission });
    }
    if (projectId !== undefined && !principal.can(permission, projectId)) {
      throw new IdentityException(IdentityErrorCode.Forbidden, `this key lacks the permission ${permission} on project ${projectId}`, {
        permission,
        project_id: projectId,
      });
    }
  }

  /** A permission on every project (`*`), for what spans them all: 403 forbidden, saying why, when it is held on fewer. */
  assertEverywhere(principal: Principal, permission: Permission, why: string): void {
    this.assertAllowed(principal, permission);
    if (!principal.can(permission, ALL_PROJECTS)) {
      throw new IdentityException(IdentityErrorCode.Forbidden, why, { permission, project_id: ALL_PROJECTS });
    }
  }

  /**
   * For a thing found by its id (a run, a grant, a dead letter): without the permission, 403; in a
   * project where the caller holds no role at all, the thing's own not-found error, exactly as for
   * an id that does not exist, so that ids of other projects reveal nothing; in a project it
   * sees but lacks this permission on, 403.
   */
  assertVisible(principal: Principal, permission: Permission, projectId: string, notFound: () => Error): void {
    this.assertAllowed(principal, permission);
    if (principal.can(permission, projectId)) return;
    if (!principal.seesProject(projectId)) throw notFound();
    throw new IdentityException(IdentityErrorCode.Forbidden, `this key lacks the permission ${permission} on project ${projectId}`, {
      permission,
      project_id: projectId,
    });
  }
}
