import { CommandContext } from '@lib/common';
import { ActionType } from '@lib/governance';
import { ExecutionRunRow } from './execution-run.entity';

export interface VoteSummary {
  readonly principalId: string;
  readonly decision: string;
  readonly reason: string | null;
  readonly at: Date;
}

/** What a run shows of its current approval lane. */
export interface ApprovalSummary {
  readonly id: string;
  readonly lane: number;
  readonly status: string;
  readonly reason: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly planHash: string;
  readonly policyHash: string | null;
  readonly requiredApprovals: number;
  readonly votes: readonly VoteSummary[];
  readonly expiresAt: Date;
  readonly deferredUntil: Date | null;
  /** Level 3: the step this lane approves. */
  readonly stepIndex: number | null;
}

/**
 * The port through which a run opens and reads its approval. The approval lib implements it
 * (and depends on this lib); execution never imports approval, so the two stay acyclic.
 */
export interface RunApprovalGate {
  /**
   * Opens the first approval lane of a new run, in the caller's transaction. A level-0 action is
   * approved at once by the system, so the returned run may already be RUN.
   */
  open(
    input: { run: ExecutionRunRow; actionType: ActionType; policyHash: string },
    ctx: CommandContext,
  ): Promise<{ run: ExecutionRunRow; approval: ApprovalSummary }>;
  /** The run's current (latest) lane with its votes. */
  currentFor(executionRunId: string): Promise<ApprovalSummary | null>;
  /** Lazy expiry: expires an overdue lane in its own transaction. True when it did. */
  expireIfOverdue(executionRunId: string): Promise<boolean>;
  /**
   * A run, its current lane with votes, and whether that lane is overdue, in one read; null
   * when there is no such run.
   */
  readView(
    where: { id: string } | { projectId: string; idempotencyKey: string },
  ): Promise<{ run: ExecutionRunRow; approval: ApprovalSummary | null; overdue: boolean } | null>;
}

export const RUN_APPROVAL_GATE = Symbol('RUN_APPROVAL_GATE');
