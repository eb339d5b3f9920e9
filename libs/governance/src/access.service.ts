import { Injectable } from '@nestjs/common';
import { GovernanceErrorCode, GovernanceException } from './governance.exception';
import { Permission } from './permissions';
import { Principal } from './principal';

/** The one access check every service calls at the top of a command. */
@Injectable()
export class AccessService {
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
}
