import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { canonicalEvent, chainKeyOf, ChainedEventFields, GENESIS_HASH } from './audit-chain';
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

/**
 * Writes audit events in the caller's transaction, so an event commits exactly when the change
 * it describes commits (and a failed insert rolls the change back). Each event is linked into
 * its chain in the same statement. Writers of a run's chain must hold the run's row lock (every
 * command on a run takes it first); chains without a run take an advisory lock per chain here.
 * A unique index on (chain_key, prev_hash) turns a forgotten lock into an error, never a fork.
 */
@Injectable()
export class AuditService {
  constructor(private readonly uow: UnitOfWork) {}

  async record(input: AuditRecordInput): Promise<void> {
    const chainKey = chainKeyOf(input);
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
    await this.uow.run(async () => {
      if (!input.executionRunId) await this.uow.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [chainKey]);
      await this.uow.query(
        `INSERT INTO audit_events (event_id, event_type, actor, request_id, project_id, execution_run_id, data, occurred_at, chain_key, prev_hash, hash)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, prev.hash, encode(sha256(convert_to(prev.hash || $10, 'UTF8')), 'hex')
         FROM (SELECT coalesce((SELECT hash FROM audit_events WHERE chain_key = $9 ORDER BY id DESC LIMIT 1), $11) AS hash) prev`,
        [
          fields.event_id,
          fields.event_type,
          fields.actor,
          fields.request_id,
          fields.project_id,
          fields.execution_run_id,
          JSON.stringify(fields.data),
          fields.occurred_at,
          chainKey,
          canonicalEvent(fields),
          GENESIS_HASH,
        ],
      );
    });
  }

  /** A run's trail, oldest first. Rows outlive the run they describe. */
  listForRun(executionRunId: string): Promise<AuditEventEntity[]> {
    return this.uow.query<AuditEventEntity>(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [executionRunId]);
  }
}
