import { Injectable } from '@nestjs/common';
import { BrokenLink, checkLink, GENESIS_HASH } from './audit-chain';
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

/** Reading the trail: filtered pages, chain verification, lifecycle counters. No access checks here. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly events: AuditRepository) {}

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
