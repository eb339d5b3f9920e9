import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService, runEvent } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/identity';
import { ExecutionRunRepository, PurgedRun } from './repositories/execution-run.repository';

export interface PurgeInput {
  /** Only runs that ended at least this long ago, by the database clock. */
  readonly olderThanSeconds: number;
  /** One project, or (when absent) every project the caller covers. */
  readonly projectId?: string;
  readonly limit: number;
  readonly reason: string;
}

/**
 * Retention: an admin purges runs that ended (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, REJECTED,
 * EXPIRED) long enough ago. Each run goes with everything that hangs off it (the foreign keys
 * cascade); its audit trail stays, closed by a `run.purged` event written in the same
 * transaction as the delete, so the trail says who purged it, when and why. Dead-lettered runs
 * wait for an operator and are never purged; a run a worker holds cannot be deleted at all.
 */
@Injectable()
export class RunRetentionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly runs: ExecutionRunRepository,
  ) {}

  purge(principal: Principal, input: PurgeInput, ctx: CommandContext): Promise<PurgedRun[]> {
    this.access.assertAllowed(principal, Permission.RunPurge, input.projectId);
    const projectIds = principal.projectsWith(Permission.RunPurge);
    return this.uow.run(async () => {
      const purged = await this.runs.deleteEnded({
        olderThanSeconds: input.olderThanSeconds,
        projectId: input.projectId ?? null,
        projectIds,
        limit: input.limit,
      });
      for (const run of purged) {
        await this.audit.record(
          runEvent(AuditEventType.RunPurged, run, ctx, {
            status: run.status,
            ended_at: run.updated_at.toISOString(),
            older_than_seconds: input.olderThanSeconds,
            reason: input.reason,
          }),
        );
      }
      return purged;
    });
  }
}
