import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { canonicalEvent, chainKeyOf, ChainedEventFields } from './audit-chain';
import { AuditEventType } from './audit-event-type';
import { AuditEventEntity } from './audit-event.entity';

export interface AuditRecordInput {
  readonly type: AuditEventType;
  readonly ctx: CommandContext;
  readonly projectId?: string | null;
  readonly executionRunId?: string | null;
  readonly data?: Record<string, unknown>;
}

export const EVENT_COLUMNS = `id::text AS id, event_id AS "eventId", event_type AS "eventType", actor, request_id AS "requestId",
  project_id AS "projectId", execution_run_id AS "executionRunId", data, occurred_at AS "occurredAt",
  chain_key AS "chainKey", prev_hash AS "prevHash", hash`;

type PendingEvent = ChainedEventFields & { chain_key: string; canonical: string };

const PENDING = Symbol('audit.pending-events');

/**
 * Writes audit events in the caller's transaction, so an event commits exactly when the change
 * it describes commits (and a failed insert rolls the change back). A command's events are
 * collected and written right before its transaction commits, in order and in one statement:
 * `audit_append` links each into its chain (hash = SHA-256(prev_hash || canonical JSON), the
 * canonical JSON made here). Writers of a run's chain hold the run's row lock (every command on
 * a run takes it first); chains without a run take an advisory lock per chain in the function.
 * A unique index on (chain_key, prev_hash) turns a forgotten lock into an error, never a fork.
 */
@Injectable()
export class AuditService {
  constructor(private readonly uow: UnitOfWork) {}

  async record(input: AuditRecordInput): Promise<void> {
    const fields: ChainedEventFields = {
      event_id: randomUUID(),
      event_type: input.type,
      actor: input.ctx.actor.id,
      request_id: input.ctx.requestId,
      project_id: input.projectId ?? null,
      execution_run_id: input.executionRunId ?? null,
      data: input.data ?? {},
      occurred_at: new Date().toISOString(),
    };
    const event: PendingEvent = { ...fields, chain_key: chainKeyOf(input), canonical: canonicalEvent(fields) };
    await this.uow.run(async () => {
      this.uow
        .local<PendingEvent[]>(
          PENDING,
          () => [],
          (events) => this.append(events),
        )
        .push(event);
    });
  }

  /** A run's trail, oldest first, optionally only the events after a position. Rows outlive the run they describe. */
  listForRun(executionRunId: string, after?: string): Promise<AuditEventEntity[]> {
    return this.uow.query<AuditEventEntity>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE chain_key = $1 AND ($2::bigint IS NULL OR audit_events.id > $2::bigint) ORDER BY audit_events.id`,
      [`run:${executionRunId}`, after ?? null],
    );
  }

  private async append(events: PendingEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.uow.query(`SELECT audit_append($1::jsonb)`, [JSON.stringify(events)]);
  }
}
