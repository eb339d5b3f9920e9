import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { StoredChainEvent } from './audit-chain';
import { AUDIT_EVENTS_TABLE, AuditEventRow } from './audit-event.table';

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

/** An event as the application hands it to audit_append: the hashed fields, its chain and their canonical JSON. */
export interface PendingAuditEvent {
  readonly event_id: string;
  readonly event_type: string;
  readonly actor: string;
  readonly actor_credential?: string | null;
  readonly request_id: string | null;
  readonly project_id: string | null;
  readonly execution_run_id: string | null;
  readonly data: Record<string, unknown>;
  readonly occurred_at: string;
  readonly chain_key: string;
  readonly canonical: string;
}

const T = AUDIT_EVENTS_TABLE.name;
// `id` is read as text (bigint can pass 2^53); order by the column (`audit_events.id`), never by that text alias.
const COLUMNS = `id::text AS id, event_id, event_type, actor, actor_credential, request_id, project_id, execution_run_id, data, occurred_at, chain_key, prev_hash, hash`;

/** The audit lib's SQL: the only code that reads or writes audit_events (appends go through audit_append). */
@Injectable()
export class AuditRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async append(events: readonly PendingAuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.uow.query(`SELECT audit_append($1::jsonb)`, [JSON.stringify(events)]);
  }

  /** A chain's events, oldest first, optionally only those after a position. */
  listChain(chainKey: string, after?: string): Promise<AuditEventRow[]> {
    return this.uow.query<AuditEventRow>(
      `SELECT ${COLUMNS} FROM ${T} WHERE chain_key = $1 AND ($2::bigint IS NULL OR id > $2::bigint) ORDER BY ${T}.id`,
      [chainKey, after ?? null],
    );
  }

  list(filter: AuditEventFilter): Promise<AuditEventRow[]> {
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
    return this.uow.query<AuditEventRow>(
      `SELECT ${COLUMNS} FROM ${T} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${T}.id LIMIT $${values.length}`,
      values,
    );
  }

  /** One batch of chained events in (chain_key, id) order, after a cursor, with occurred_at exactly as it was hashed. */
  chainBatch(input: { chainKey?: string; after: { chainKey: string; id: string } | null; limit: number }): Promise<StoredChainEvent[]> {
    return this.uow.query<StoredChainEvent>(
      `SELECT id::text AS id, event_id, event_type, actor, actor_credential, request_id, project_id, execution_run_id, data,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at, chain_key, prev_hash, hash
       FROM ${T}
       WHERE chain_key IS NOT NULL AND ($1::text IS NULL OR chain_key = $1)
         AND ($2::text IS NULL OR (chain_key, id) > ($2::text, $3::bigint))
       ORDER BY chain_key, ${T}.id LIMIT $4`,
      [input.chainKey ?? null, input.after?.chainKey ?? null, input.after?.id ?? null, input.limit],
    );
  }

  /**
   * The newest id no later event can slip under. Ids come from a sequence, so a transaction may
   * commit id 7 while id 6 is still being written: SHARE mode waits until every writer that holds
   * the table (and so every id taken so far) has ended, and blocks new appends only for this one
   * read. Null when the trail is empty. Must run inside a transaction (UnitOfWork.run).
   */
  async settledHorizon(lockTimeoutMs: number): Promise<string | null> {
    await this.uow.query(`SELECT set_config('lock_timeout', $1, true)`, [String(lockTimeoutMs)]);
    await this.uow.query(`LOCK TABLE ${T} IN SHARE MODE`);
    const [row] = await this.uow.query<{ id: string | null }>(`SELECT max(id)::text AS id FROM ${T}`);
    return row.id;
  }

  /** Events after `after` up to `upTo` (ids), oldest first, with occurred_at exactly as it was hashed. */
  exportPage(input: { after: string; upTo: string; limit: number }): Promise<StoredChainEvent[]> {
    return this.uow.query<StoredChainEvent>(
      `SELECT id::text AS id, event_id, event_type, actor, actor_credential, request_id, project_id, execution_run_id, data,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at, chain_key, prev_hash, hash
       FROM ${T} WHERE id > $1::bigint AND id <= $2::bigint ORDER BY ${T}.id LIMIT $3`,
      [input.after, input.upTo, input.limit],
    );
  }

  async countUnchained(): Promise<number> {
    const [row] = await this.uow.query<{ n: string }>(`SELECT count(*) AS n FROM ${T} WHERE chain_key IS NULL`);
    return Number(row.n);
  }

  async countByType(types: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.uow.query<{ event_type: string; n: string }>(
      `SELECT event_type, count(*) AS n FROM ${T} WHERE event_type = ANY($1) GROUP BY event_type`,
      [types],
    );
    return new Map(rows.map((row) => [row.event_type, Number(row.n)]));
  }

  /** The project named by a chain's first event that names one (a run's chain outlives the run). */
  async projectOfChain(chainKey: string): Promise<string | null> {
    const rows = await this.uow.query<{ project_id: string }>(
      `SELECT project_id FROM ${T} WHERE chain_key = $1 AND project_id IS NOT NULL ORDER BY id LIMIT 1`,
      [chainKey],
    );
    return rows[0]?.project_id ?? null;
  }
}
