import { Injectable } from '@nestjs/common';
import { AuditEventEntity, AuditEventFilter, AuditQueryService, VerifyReport } from '@lib/audit';
import { UnitOfWork } from '@lib/database';
import { AccessService } from '../access.service';
import { GovernanceErrorCode, GovernanceException } from '../governance.exception';
import { ALL_PROJECTS, Permission } from '../permissions';
import { Principal } from '../principal';

/**
 * Who may read and verify the audit trail: `audit:read`, scoped by project. A run's project is
 * taken from its own audit chain, which outlives the run.
 */
@Injectable()
export class AuditTrailService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessService,
    private readonly query: AuditQueryService,
  ) {}

  async list(principal: Principal, filter: AuditEventFilter): Promise<AuditEventEntity[]> {
    this.access.assertAllowed(principal, Permission.AuditRead);
    if (filter.projectId !== undefined) this.access.assertAllowed(principal, Permission.AuditRead, filter.projectId);
    else if (filter.executionRunId !== undefined)
      this.access.assertAllowed(principal, Permission.AuditRead, await this.projectOfRun(filter.executionRunId));
    else if (!principal.projectIds.includes(ALL_PROJECTS)) {
      throw new GovernanceException(
        GovernanceErrorCode.Forbidden,
        'a key scoped to some projects must filter by project_id or execution_id',
      );
    }
    return this.query.list(filter);
  }

  async verifyRun(principal: Principal, executionRunId: string): Promise<VerifyReport> {
    this.access.assertAllowed(principal, Permission.AuditRead, await this.projectOfRun(executionRunId));
    return this.query.verify(`run:${executionRunId}`);
  }

  async counters(principal: Principal): Promise<Record<string, number>> {
    this.access.assertAllowed(principal, Permission.AuditRead);
    if (!principal.projectIds.includes(ALL_PROJECTS)) {
      throw new GovernanceException(GovernanceErrorCode.Forbidden, 'the counters span every project; they need a key scoped to *');
    }
    return this.query.lifecycleCounters();
  }

  private async projectOfRun(executionRunId: string): Promise<string> {
    const rows = await this.uow.query<{ project_id: string }>(
      `SELECT project_id FROM audit_events WHERE chain_key = $1 AND project_id IS NOT NULL ORDER BY id LIMIT 1`,
      [`run:${executionRunId}`],
    );
    if (rows.length === 0) throw new GovernanceException(GovernanceErrorCode.AuditChainNotFound, 'no audit trail for this execution');
    return rows[0].project_id;
  }
}
