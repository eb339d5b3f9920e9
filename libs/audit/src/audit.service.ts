import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType } from './audit-event-type';
import { AuditEventEntity } from './audit-event.entity';

export interface AuditRecordInput {
  readonly type: AuditEventType;
  readonly ctx: CommandContext;
  readonly projectId?: string | null;
  readonly executionRunId?: string | null;
  readonly data?: Record<string, unknown>;
}

const EVENT_COLUMNS = `id::text AS id, event_id AS "eventId", event_type AS "eventType", actor, request_id AS "requestId",
  project_id AS "projectId", execution_run_id AS "executionRunId", data, occurred_at AS "occurredAt"`;

/**
 * Writes audit events in the caller's transaction, so an event commits exactly when the change
 * it describes commits (and a failed insert rolls the change back).
 */
@Injectable()
export class AuditService {
  constructor(private readonly uow: UnitOfWork) {}

  async record(input: AuditRecordInput): Promise<void> {
    await this.uow.query(
      `INSERT INTO audit_events (event_type, actor, request_id, project_id, execution_run_id, data)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [input.type, input.ctx.actor.id, input.ctx.requestId, input.projectId ?? null, input.executionRunId ?? null, input.data ?? {}],
    );
  }

  /** A run's trail, oldest first. Rows outlive the run they describe. */
  listForRun(executionRunId: string): Promise<AuditEventEntity[]> {
    return this.uow.query<AuditEventEntity>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE execution_run_id = $1 ORDER BY id`,
      [executionRunId],
    );
  }
}
