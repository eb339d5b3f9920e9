import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { BrokenLink, checkLink, GENESIS_HASH, StoredChainEvent } from './audit-chain';
import { AuditEventType } from './audit-event-type';
import { AuditEventEntity } from './audit-event.entity';
import { EVENT_COLUMNS } from './audit.service';

export interface AuditEventFilter {
  readonly projectId?: string;
  readonly executionRunId?: string;
  readonly type?: string;
  readonly actor?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** Keyset cursor: only events with a larger id. */
  readonly after?: string;
  readonly limit: number;
}

export interface VerifyReport {
  readonly chains: number;
  readonly events: number;
  /** Events written before chaining existed, which carry no hash. */
  readonly unchained: number;
  readonly broken: BrokenLink | null;
}

/** The lifecycle counters exposed for metrics, from the audit trail itself. */
export const LIFECYCLE_EVENTS: Readonly<Record<string, readonly AuditEventType[]>> = {
  requested: [AuditEventType.ApprovalRequested],
  approved: [AuditEventType.ApprovalApproved, AuditEventType.ApprovalAutoApproved],
  rejected: [AuditEventType.ApprovalRejected],
  deferred: [AuditEventType.ApprovalDeferred],
  expired: [AuditEventType.ApprovalExpired],
  invalidated: [AuditEventType.ApprovalInvalidated],
};

const VERIFY_BATCH = 2000;

/** Reading the trail: filtered pages, chain verification, lifecycle counters. No access checks here. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly uow: UnitOfWork) {}

  list(filter: AuditEventFilter): Promise<AuditEventEntity[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      values.push(value);
      where.push(sql.replace('?', `$${values.length}`));
    };
    if (filter.projectId !== undefined) add('project_id = ?', filter.projectId);
    if (filter.executionRunId !== undefined) add('chain_key = ?', `run:${filter.executionRunId}`);
    if (filter.type !== undefined) add('event_type = ?', filter.type);
    if (filter.actor !== undefined) add('actor = ?', filter.actor);
    if (filter.from !== undefined) add('occurred_at >= ?', filter.from);
    if (filter.to !== undefined) add('occurred_at < ?', filter.to);
    if (filter.after !== undefined) add('id > ?', filter.after);
    values.push(filter.limit);
    return this.uow.query<AuditEventEntity>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_events.id LIMIT $${values.length}`,
      values,
    );
  }

  /** Recomputes one chain (`run:<id>`, `project:<id>`, `global`) or, without a key, every chain. */
  async verify(chainKey?: string): Promise<VerifyReport> {
    let chains = 0;
    let events = 0;
    let chain: string | null = null;
    let expectedPrev = GENESIS_HASH;
    let cursor: { chainKey: string; id: string } | null = null;
    for (;;) {
      const rows: StoredChainEvent[] = await this.uow.query<StoredChainEvent>(
        `SELECT id::text AS id, event_id, event_type, actor, request_id, project_id, execution_run_id, data,
                to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at, chain_key, prev_hash, hash
         FROM audit_events
         WHERE chain_key IS NOT NULL AND ($1::text IS NULL OR chain_key = $1)
           AND ($2::text IS NULL OR (chain_key, id) > ($2::text, $3::bigint))
         ORDER BY chain_key, audit_events.id LIMIT $4`,
        [chainKey ?? null, cursor?.chainKey ?? null, cursor?.id ?? null, VERIFY_BATCH],
      );
      for (const row of rows) {
        if (row.chain_key !== chain) {
          chain = row.chain_key;
          expectedPrev = GENESIS_HASH;
          chains++;
        }
        const broken = checkLink(row, expectedPrev);
        if (broken) return { chains, events, unchained: await this.unchained(chainKey), broken };
        expectedPrev = row.hash;
        events++;
      }
      if (rows.length < VERIFY_BATCH) break;
      const last = rows[rows.length - 1];
      cursor = { chainKey: last.chain_key, id: last.id };
    }
    return { chains, events, unchained: await this.unchained(chainKey), broken: null };
  }

  async lifecycleCounters(): Promise<Record<string, number>> {
    const rows = await this.uow.query<{ event_type: string; n: string }>(
      `SELECT event_type, count(*) AS n FROM audit_events WHERE event_type = ANY($1) GROUP BY event_type`,
      [Object.values(LIFECYCLE_EVENTS).flat()],
    );
    const byType = new Map(rows.map((row) => [row.event_type, Number(row.n)]));
    return Object.fromEntries(
      Object.entries(LIFECYCLE_EVENTS).map(([name, types]) => [name, types.reduce((sum, type) => sum + (byType.get(type) ?? 0), 0)]),
    );
  }

  private async unchained(chainKey?: string): Promise<number> {
    if (chainKey) return 0;
    const [row] = await this.uow.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE chain_key IS NULL`);
    return Number(row.n);
  }
}
