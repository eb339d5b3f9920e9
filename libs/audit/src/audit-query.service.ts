import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { BrokenLink, checkLink, GENESIS_HASH, StoredChainEvent } from './audit-chain';
import { AuditEventType } from './audit-event-type';
import { AuditEventRow } from './audit-event.table';
import { AuditEventFilter, AuditRepository } from './audit.repository';

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
const EXPORT_BATCH = 1000;
/** How long an export waits for the writers in flight before it gives up (it blocks new appends meanwhile). */
const EXPORT_LOCK_TIMEOUT_MS = 5000;

/** Reading the trail: filtered pages, chain verification, lifecycle counters. No access checks here. */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly events: AuditRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /**
   * Every event after the cursor `after` (an event id, "0" for the start), oldest first, in
   * batches, up to the settled horizon: resuming from the last id written never skips an event
   * committed later under a smaller id, and never repeats one. Answers the cursor to resume from.
   */
  async export(input: {
    after: string;
    write: (event: StoredChainEvent) => Promise<void> | void;
  }): Promise<{ next: string; pastNewest: string | null }> {
    const horizon = await this.uow.run(() => this.events.settledHorizon(EXPORT_LOCK_TIMEOUT_MS));
    let cursor = input.after;
    // No export ever answers a cursor past the newest event: such a one is mistyped, or of another database.
    if (BigInt(cursor) > BigInt(horizon ?? '0')) return { next: cursor, pastNewest: horizon ?? '0' };
    if (horizon === null || BigInt(horizon) <= BigInt(cursor)) return { next: cursor, pastNewest: null };
    for (;;) {
      const rows = await this.events.exportPage({ after: cursor, upTo: horizon, limit: EXPORT_BATCH });
      for (const row of rows) await input.write(row);
      if (rows.length < EXPORT_BATCH) return { next: horizon, pastNewest: null };
      cursor = rows[rows.length - 1].id;
    }
  }

  list(filter: AuditEventFilter): Promise<AuditEventRow[]> {
    return this.events.list(filter);
  }

  /** The project a chain belongs to (a run's chain outlives the run), or null when there is no such chain. */
  projectOfChain(chainKey: string): Promise<string | null> {
    return this.events.projectOfChain(chainKey);
  }

  /** Recomputes one chain (`run:<id>`, `project:<id>`, `global`) or, without a key, every chain. */
  async verify(chainKey?: string): Promise<VerifyReport> {
    let chains = 0;
    let events = 0;
    let chain: string | null = null;
    let expectedPrev = GENESIS_HASH;
    let cursor: { chainKey: string; id: string } | null = null;
    const unchained = async () => (chainKey ? 0 : this.events.countUnchained());
    for (;;) {
      const rows = await this.events.chainBatch({ chainKey, after: cursor, limit: VERIFY_BATCH });
      for (const row of rows) {
        if (row.chain_key !== chain) {
          chain = row.chain_key;
          expectedPrev = GENESIS_HASH;
          chains++;
        }
        const broken = checkLink(row, expectedPrev);
        if (broken) return { chains, events, unchained: await unchained(), broken };
        expectedPrev = row.hash;
        events++;
      }
      if (rows.length < VERIFY_BATCH) break;
      const last = rows[rows.length - 1];
      cursor = { chainKey: last.chain_key, id: last.id };
    }
    return { chains, events, unchained: await unchained(), broken: null };
  }

  async lifecycleCounters(): Promise<Record<string, number>> {
    const byType = await this.events.countByType(Object.values(LIFECYCLE_EVENTS).flat());
    return Object.fromEntries(
      Object.entries(LIFECYCLE_EVENTS).map(([name, types]) => [name, types.reduce((sum, type) => sum + (byType.get(type) ?? 0), 0)]),
    );
  }
}
