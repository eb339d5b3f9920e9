import { CommandContext } from '@lib/common';

/** What a run shows of its approval. */
export interface ApprovalSummary {
  readonly id: string;
  readonly status: string;
  readonly reason: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
}

/**
 * The port through which a run opens and reads its approval. The approval lib implements it
 * (and depends on this lib); execution never imports approval, so the two stay acyclic.
 */
export interface RunApprovalGate {
  /** Opens the pending approval of a new run, in the caller's transaction. */
  open(input: { executionRunId: string; projectId: string }, ctx: CommandContext): Promise<ApprovalSummary>;
  /** The run's current approval. */
  currentFor(executionRunId: string): Promise<ApprovalSummary | null>;
}

export const RUN_APPROVAL_GATE = Symbol('RUN_APPROVAL_GATE');
