import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { canonicalEvent, chainKeyOf, ChainedEventFields } from './audit-chain';
import { AuditEventType } from './audit-event-type';
import { AuditEventRow } from './audit-event.table';
import { AuditRepository, PendingAuditEvent } from './audit.repository';

export interface AuditRecordInput {
  readonly type: AuditEventType;
  readonly ctx: CommandContext;
  readonly projectId?: string | null;
  readonly executionRunId?: string | null;
  readonly data?: Record<string, unknown>;
}

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
  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: AuditRepository,
  ) {}

  async record(input: AuditRecordInput): Promise<void> {
    const fields: ChainedEventFields = {
      event_id: randomUUID(),
      event_type: input.type,
      actor: input.ctx.actor.id,
      actor_credential: input.ctx.actor.credential ?? null,
      request_id: input.ctx.requestId,
      project_id: input.projectId ?? null,
      execution_run_id: input.executionRunId ?? null,
      data: input.data ?? {},
      // Part of the hashed event: the moment the application recorded it (the database orders the chain).
      occurred_at: new Date().toISOString(),
    };
    const event: PendingAuditEvent = { ...fields, chain_key: chainKeyOf(input), canonical: canonicalEvent(fields) };
    await this.uow.run(async () => {
      this.uow
        .local<PendingAuditEvent[]>(
          PENDING,
          () => [],
          (events) => this.events.append(events),
        )
        .push(event);
    });
  }

  /** A run's trail, oldest first, optionally only the events after a position. Rows outlive the run they describe. */
  listForRun(executionRunId: string, after?: string): Promise<AuditEventRow[]> {
    return this.events.listChain(chainKeyOf({ executionRunId }), after);
  }
}

/** The audit event of a change to a run, in the run's chain. */
export function runEvent(
  type: AuditEventType,
  run: { readonly id: string; readonly project_id: string },
  ctx: CommandContext,
  data: Record<string, unknown> = {},
): AuditRecordInput {
  return { type, ctx, projectId: run.project_id, executionRunId: run.id, data };
}
