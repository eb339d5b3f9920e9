import { Injectable } from '@nestjs/common';
import { GovernanceErrorCode, GovernanceException } from './governance.exception';
import { Permission } from './permissions';
import { Principal } from './principal';

/** The one access check every service calls at the top of a command. */
@Injectable()
export class AccessService {
  /** The permission, and (when named by the caller) the project: 403 forbidden when either is missing. */
  assertAllowed(principal: Principal, permission: Permission, projectId?: string): void {
    if (!principal.can(permission)) {
      throw new GovernanceException(GovernanceErrorCode.Forbidden, `this key lacks the permission ${permission}`, { permission });
    }
    if (projectId !== undefined && !principal.coversProject(projectId)) {
      throw new GovernanceException(GovernanceErrorCode.Forbidden, `this key is not scoped to project ${projectId}`, {
        project_id: projectId,
      });
    }
  }

  /**
   * For a thing found by its id (a run, a grant, a dead letter): without the permission, 403; in a
   * project the key does not cover, the thing's own not-found error, exactly as for an id that
   * does not exist, so that ids of other projects reveal nothing.
   */
  assertVisible(principal: Principal, permission: Permission, projectId: string, notFound: () => Error): void {
    this.assertAllowed(principal, permission);
    if (!principal.coversProject(projectId)) throw notFound();
  }
}
