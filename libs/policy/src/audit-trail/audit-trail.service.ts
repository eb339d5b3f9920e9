import { Injectable } from '@nestjs/common';
import { AuditEventFilter, AuditEventRow, AuditQueryService, chainKeyOf, VerifyReport } from '@lib/audit';
import { AccessService } from '@lib/identity';

import { Permission } from '@lib/identity';
import { Principal } from '@lib/identity';
import { PolicyErrorCode, PolicyException } from '../policy.exception';

/**
 * Who may read and verify the audit trail: `audit:read`, scoped by project. A run's project is
 * taken from its own audit chain, which outlives the run.
 */
@Injectable()
export class AuditTrailService {
  constructor(
    private readonly access: AccessService,
    private readonly query: AuditQueryService,
  ) {}

  async list(principal: Principal, filter: AuditEventFilter): Promise<AuditEventRow[]> {
    this.access.assertAllowed(principal, Permission.AuditRead);
    if (filter.projectId !== undefined) this.access.assertAllowed(principal, Permission.AuditRead, filter.projectId);
    else if (filter.executionRunId !== undefined)
      this.access.assertVisible(principal, Permission.AuditRead, await this.projectOfRun(filter.executionRunId), chainNotFound);
    else
      this.access.assertEverywhere(
        principal,
        Permission.AuditRead,
        'a key scoped to some projects must filter by project_id or execution_id',
      );
    return this.query.list(filter);
  }

  async verifyRun(principal: Principal, executionRunId: string): Promise<VerifyReport> {
    this.access.assertAllowed(principal, Permission.AuditRead);
    this.access.assertVisible(principal, Permission.AuditRead, await this.projectOfRun(executionRunId), chainNotFound);
    return this.query.verify(chainKeyOf({ executionRunId }));
  }

  async counters(principal: Principal): Promise<Record<string, number>> {
    this.access.assertEverywhere(principal, Permission.AuditRead, 'the counters span every project; they need a key scoped to *');
    return this.query.lifecycleCounters();
  }

  private async projectOfRun(executionRunId: string): Promise<string> {
    const projectId = await this.query.projectOfChain(chainKeyOf({ executionRunId }));
    if (projectId === null) throw chainNotFound();
    return projectId;
  }
}

function chainNotFound(): PolicyException {
  return new PolicyException(PolicyErrorCode.AuditChainNotFound, 'no audit trail for this execution');
}
