/** A create the API acknowledged (201, or 200 with dedup_hit): the run must exist from then on. */
export interface AckedCreate {
  readonly executionId: string;
  readonly projectId: string;
  readonly idempotencyKey: string;
  readonly action: string;
}

export interface LedgerNote {
  readonly what: string;
  readonly detail: string;
}

const NOTES = 10;

/**
 * The acknowledged writes of the load, which the final check looks for in PostgreSQL: every
 * acknowledged create must be a run with its project and key, every acknowledged approval an
 * approve vote on a run that left BLOCKED. Also notes what the load saw that it did not expect.
 */
export class AckLedger {
  readonly creates = new Map<string, AckedCreate>();
  /** Execution ids whose approve answered 200. */
  readonly approvals = new Set<string>();
  /** A repeated create answered with another run than the first: an idempotency break. */
  dedupMismatches = 0;
  /** An approve answered 409 already decided/voted after an attempt that got no answer: the lost answer's vote had landed. */
  approvalsLandedUnanswered = 0;
  /** Answers the load did not expect (neither success, 503, nor a documented retry case). */
  unexpected = 0;
  readonly notes: LedgerNote[] = [];

  ackCreate(create: AckedCreate): void {
    const previous = this.creates.get(create.executionId);
    if (previous && (previous.projectId !== create.projectId || previous.idempotencyKey !== create.idempotencyKey)) {
      this.note('two keys, one run', `${create.executionId}: ${previous.idempotencyKey} and ${create.idempotencyKey}`);
    }
    this.creates.set(create.executionId, create);
  }

  ackApproval(executionId: string): void {
    this.approvals.add(executionId);
  }

  note(what: string, detail: string): void {
    if (this.notes.length < NOTES) this.notes.push({ what, detail });
  }
}
