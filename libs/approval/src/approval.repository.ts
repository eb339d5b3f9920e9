import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { APPROVAL_DECISIONS_TABLE, APPROVALS_TABLE, ApprovalRow, PlanChangeRow, RUN_PLAN_CHANGES_TABLE, VoteRow } from './approval.tables';

const LANES = APPROVALS_TABLE.name;
const VOTES = APPROVAL_DECISIONS_TABLE.name;
const PLAN_CHANGES = RUN_PLAN_CHANGES_TABLE.name;

export type GateVerdict = 'open' | 'no_approval' | 'not_approved' | 'approval_expired' | 'plan_changed';

/** The current lane with its votes, and whether its expiry has passed by the database clock. */
export type CurrentLane = ApprovalRow & { lapsed: boolean; votes: VoteRow[] };

/**
 * The approval lib's SQL: the only code that reads or writes approvals and approval_decisions
 * (status changes go through the state machine's APPROVAL_AXIS). "The run's current lane" and
 * "is the gate open" are PostgreSQL functions (approval_current_lane, approval_gate), used here
 * and by the claim; runs are read through the execution lib's view execution_run_states.
 */
@Injectable()
export class ApprovalRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Opens the next lane (the caller holds the run's lock and has closed the previous lane). Its
   * opened_by is the editor given, or that of the latest lane of the same plan: whoever wrote a
   * plan stays out of every lane that approves it.
   */
  async insertNextLane(input: {
    runId: string;
    planHash: string;
    policyHash: string;
    requiredApprovals: number;
    ttlSeconds: number;
    stepIndex: number | null;
    openedBy: string | null;
  }): Promise<ApprovalRow> {
    const [lane] = await this.uow.query<ApprovalRow>(
      `INSERT INTO ${LANES} (execution_run_id, lane, status, plan_hash, policy_hash, required_approvals, expires_at, step_index, opened_by)
       SELECT $1, coalesce(max(lane), 0) + 1, 'pending', $2, $3, $4, now() + make_interval(secs => $5), $6::int,
              -- A lane for a plan someone other than the requester wrote keeps that writer out (a reopen, a level-3 step).
              coalesce($7, (SELECT opened_by FROM ${LANES} w WHERE w.execution_run_id = $1 AND w.plan_hash = $2 AND w.opened_by IS NOT NULL
                            ORDER BY w.lane DESC LIMIT 1))
       FROM ${LANES} WHERE execution_run_id = $1
       RETURNING *`,
      [input.runId, input.planHash, input.policyHash, input.requiredApprovals, input.ttlSeconds, input.stepIndex, input.openedBy],
    );
    return lane;
  }

  async currentLane(runId: string): Promise<ApprovalRow | null> {
    const rows = await this.uow.query<ApprovalRow>(`SELECT * FROM approval_current_lane($1)`, [runId]);
    return rows[0] ?? null;
  }

  async currentLaneWithVotes(runId: string): Promise<CurrentLane | null> {
    const rows = await this.uow.query<
      ApprovalRow & { lapsed: boolean; votes: Array<Omit<VoteRow, 'created_at'> & { created_at: string }> }
    >(
      `SELECT a.*, a.expires_at <= now() AS lapsed,
              coalesce((SELECT json_agg(d ORDER BY d.id) FROM ${VOTES} d WHERE d.approval_id = a.id), '[]') AS votes
       FROM approval_current_lane($1) a`,
      [runId],
    );
    if (rows.length === 0) return null;
    const { votes, ...lane } = rows[0];
    return { ...lane, votes: votes.map((vote) => ({ ...vote, id: String(vote.id), created_at: new Date(vote.created_at) })) };
  }

  /** The run's open lane if its expiry has passed (by the database clock), only while the run is in one of `runStatuses`. */
  async overdueOpenLane(runId: string, runStatuses: readonly string[]): Promise<ApprovalRow | null> {
    const rows = await this.uow.query<ApprovalRow>(
      `SELECT a.* FROM ${LANES} a JOIN execution_run_states r ON r.id = a.execution_run_id
       WHERE a.execution_run_id = $1 AND a.status IN ('pending', 'approved') AND a.expires_at <= now() AND r.status = ANY($2)`,
      [runId, runStatuses],
    );
    return rows[0] ?? null;
  }

  /**
   * Runs waiting on a pending lane that has not run out (by the database clock), oldest first,
   * in the given projects (null: any), after a cursor run: the approvers' inbox.
   */
  pendingRunIds(input: {
    projectIds: readonly string[] | null;
    projectId: string | null;
    after: string | null;
    limit: number;
  }): Promise<string[]> {
    return this.uow
      .query<{ id: string }>(
        `SELECT r.id FROM ${LANES} a JOIN execution_run_states r ON r.id = a.execution_run_id
         WHERE a.status = 'pending' AND a.expires_at > now() AND r.status = 'BLOCKED'
           AND ($1::text[] IS NULL OR r.project_id = ANY($1)) AND ($2::text IS NULL OR r.project_id = $2)
           AND ($3::uuid IS NULL OR (r.created_at, r.id) > (SELECT c.created_at, c.id FROM execution_run_states c WHERE c.id = $3))
         ORDER BY r.created_at, r.id LIMIT $4`,
        [input.projectIds, input.projectId, input.after, input.limit],
      )
      .then((rows) => rows.map((row) => row.id));
  }

  /**
   * The runs waiting for this decider's vote: a pending lane that has not run out, of an action
   * it holds an approver role for on the run's project (`deciding`: per action, the projects, null
   * for every one), that it has not voted on, did not write the plan of, and that
   * principal_decision_refusal lets it decide (not its own request, nor one tied to it). Newest
   * first, or soonest to expire; page with the last id as `after`.
   */
  decidableRunIds(input: {
    voter: string;
    voterCredential: string;
    deciding: ReadonlyArray<{ action: string; projects: readonly string[] | null }>;
    projectId: string | null;
    order: 'newest' | 'expiring';
    /** Where the previous page ended: its last run's sort key (created_at or expires_at, ISO 8601 to the microsecond) and id. */
    after: { at: string; id: string } | null;
    limit: number;
  }): Promise<Array<{ id: string; at: string }>> {
    const [key, direction] = input.order === 'newest' ? ['r.created_at', 'DESC'] : ['a.expires_at', 'ASC'];
    const compare = direction === 'DESC' ? '<' : '>';
    return this.uow.query<{ id: string; at: string }>(
      `SELECT r.id, to_char(${key} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at FROM ${LANES} a JOIN execution_run_states r ON r.id = a.execution_run_id
         WHERE a.status = 'pending' AND a.expires_at > now() AND r.status = 'BLOCKED'
           AND EXISTS (SELECT 1 FROM jsonb_to_recordset($3::jsonb) AS d(action text, projects text[])
                       WHERE d.action = r.action AND (d.projects IS NULL OR r.project_id = ANY(d.projects)))
           AND ($4::text IS NULL OR r.project_id = $4)
           AND a.opened_by IS DISTINCT FROM $1
           AND NOT EXISTS (SELECT 1 FROM ${VOTES} v WHERE v.approval_id = a.id AND v.principal_id = $1)
           AND principal_decision_refusal($1, $2, r.requested_by, r.requested_via) IS NULL
           AND ($5::timestamptz IS NULL OR (${key}, r.id) ${compare} ($5, $6::uuid))
         ORDER BY ${key} ${direction}, r.id ${direction} LIMIT $7`,
      [
        input.voter,
        input.voterCredential,
        JSON.stringify(input.deciding),
        input.projectId,
        input.after?.at ?? null,
        input.after?.id ?? null,
        input.limit,
      ],
    );
  }

  /**
   * Pending lanes by their run's approval level, every project (a scrape): one statement over
   * the partial index approvals_one_pending_per_run; the level is read through execution_run_states.
   */
  async countPendingByLevel(): Promise<Map<string, number>> {
    const rows = await this.uow.query<{ level: number; n: string }>(
      `SELECT r.approval_level AS level, count(*) AS n
       FROM ${LANES} a JOIN execution_run_states r ON r.id = a.execution_run_id
       WHERE a.status = 'pending' GROUP BY r.approval_level`,
    );
    return new Map(rows.map((row) => [String(row.level), Number(row.n)]));
  }

  /** Pending lanes that expire within `seconds` (or are overdue and not yet swept), every project, by the database clock. */
  async countPendingExpiringWithin(seconds: number): Promise<number> {
    const [row] = await this.uow.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${LANES} WHERE status = 'pending' AND expires_at <= now() + make_interval(secs => $1)`,
      [seconds],
    );
    return Number(row.n);
  }

  async approvedLane(runId: string): Promise<ApprovalRow | null> {
    const rows = await this.uow.query<ApprovalRow>(`SELECT * FROM ${LANES} WHERE execution_run_id = $1 AND status = 'approved'`, [runId]);
    return rows[0] ?? null;
  }

  /** A vote, once per principal per lane: false when this principal has already voted. */
  async insertVote(input: {
    approvalId: string;
    runId: string;
    principalId: string;
    decision: string;
    reason: string | null;
    /** The credential the voter used (`api_key:<id>`, `oidc:<token id>`). */
    credential: string | null;
  }): Promise<boolean> {
    const inserted = await this.uow.query(
      `INSERT INTO ${VOTES} (approval_id, execution_run_id, principal_id, decision, reason, credential)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (approval_id, principal_id) DO NOTHING RETURNING id`,
      [input.approvalId, input.runId, input.principalId, input.decision, input.reason, input.credential],
    );
    return inserted.length === 1;
  }

  /** The approving votes of a lane that count now (approval_counted_approvals: voters that may still decide). */
  async countedApprovals(approvalId: string): Promise<number> {
    const [row] = await this.uow.query<{ n: number }>(`SELECT approval_counted_approvals($1) AS n`, [approvalId]);
    return row.n;
  }

  votes(approvalId: string): Promise<VoteRow[]> {
    return this.uow.query<VoteRow>(
      `SELECT id::text AS id, approval_id, execution_run_id, principal_id, decision, reason, created_at, credential FROM ${VOTES} WHERE approval_id = $1 ORDER BY id`,
      [approvalId],
    );
  }

  /** The run's lane that is still open or deferred, if any (at most one: a partial unique index). */
  async unsettledLane(runId: string): Promise<ApprovalRow | null> {
    const rows = await this.uow.query<ApprovalRow>(
      `SELECT * FROM ${LANES} WHERE execution_run_id = $1 AND status IN ('pending', 'approved', 'deferred') ORDER BY lane DESC LIMIT 1`,
      [runId],
    );
    return rows[0] ?? null;
  }

  /** Runs that ended (one of `statuses`) with a lane still open or deferred, oldest first (the sweeper's catch-up). */
  async endedRunsWithUnsettledLanes(input: { statuses: readonly string[]; limit: number }): Promise<string[]> {
    const rows = await this.uow.query<{ id: string }>(
      `SELECT r.id FROM execution_run_states r
       WHERE r.status = ANY($1) AND EXISTS (SELECT 1 FROM ${LANES} a WHERE a.execution_run_id = r.id AND a.status IN ('pending', 'approved', 'deferred'))
       ORDER BY r.updated_at LIMIT $2`,
      [input.statuses, input.limit],
    );
    return rows.map((row) => row.id);
  }

  /** Runs in one of the statuses whose open lane is past its expiry, oldest first (the sweeper's candidates). */
  async runsWithOverdueLanes(input: { statuses: readonly string[]; limit: number }): Promise<string[]> {
    const rows = await this.uow.query<{ id: string }>(
      `SELECT r.id FROM execution_run_states r
       WHERE r.status = ANY($1)
         AND EXISTS (SELECT 1 FROM ${LANES} a WHERE a.execution_run_id = r.id AND a.status IN ('pending', 'approved') AND a.expires_at <= now())
       ORDER BY r.created_at LIMIT $2`,
      [input.statuses, input.limit],
    );
    return rows.map((row) => row.id);
  }

  /** Deferred runs whose current lane's `until` has passed, oldest first. */
  async runsWithDeferralDue(limit: number): Promise<string[]> {
    const rows = await this.uow.query<{ id: string }>(
      `SELECT r.id FROM execution_run_states r
       CROSS JOIN LATERAL approval_current_lane(r.id) a
       WHERE r.status = 'BLOCKED' AND r.blocked_reason = 'approval_deferred' AND a.deferred_until <= now()
       ORDER BY r.created_at LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  }

  /** The gate's verdict and the lane it judged; null when there is no such run. */
  async gate(runId: string, afterExecution = false): Promise<{ verdict: GateVerdict; lane: ApprovalRow | null } | null> {
    const rows = await this.uow.query<ApprovalRow & { verdict: GateVerdict }>(
      `SELECT g.verdict, a.* FROM approval_gate($1, $2) g LEFT JOIN ${LANES} a ON a.id = g.approval_id`,
      [runId, afterExecution],
    );
    if (rows.length === 0) return null;
    const { verdict, ...lane } = rows[0];
    return { verdict, lane: lane.id === null ? null : lane };
  }

  /** Records the plan a change replaced (the caller holds the run's lock, in the change's transaction). */
  async recordPlanChange(input: {
    runId: string;
    oldPlanHash: string;
    newPlanHash: string;
    oldParams: Record<string, unknown>;
    oldTargets: readonly string[];
    changedBy: string;
  }): Promise<void> {
    await this.uow.query(
      `INSERT INTO ${PLAN_CHANGES} (execution_run_id, old_plan_hash, new_plan_hash, old_params, old_targets, changed_by)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        input.runId,
        input.oldPlanHash,
        input.newPlanHash,
        JSON.stringify(input.oldParams),
        JSON.stringify(input.oldTargets),
        input.changedBy,
      ],
    );
  }

  /**
   * What a reviewer compares the run's plan with: the plan of the latest lane that was for
   * another plan (what approvers were last asked about), else the latest replaced plan; and the
   * plan as first requested (the first change's old plan); and how many changes there were.
   */
  async planHistory(
    runId: string,
    currentPlanHash: string,
  ): Promise<{ previous: PlanChangeRow | null; original: PlanChangeRow | null; changes: number }> {
    const [row] = await this.uow.query<{ previous: PlanChangeRow | null; original: PlanChangeRow | null; changes: number }>(
      `SELECT
         (SELECT to_jsonb(c) FROM ${PLAN_CHANGES} c
           WHERE c.execution_run_id = $1
           ORDER BY (c.old_plan_hash = (SELECT a.plan_hash FROM ${LANES} a WHERE a.execution_run_id = $1 AND a.plan_hash <> $2
                                        ORDER BY a.lane DESC LIMIT 1)) DESC NULLS LAST, c.id DESC
           LIMIT 1) AS previous,
         (SELECT to_jsonb(c) FROM ${PLAN_CHANGES} c WHERE c.execution_run_id = $1 ORDER BY c.id LIMIT 1) AS original,
         (SELECT count(*)::int FROM ${PLAN_CHANGES} c WHERE c.execution_run_id = $1) AS changes`,
      [runId, currentPlanHash],
    );
    return row ?? { previous: null, original: null, changes: 0 };
  }

  /** How many times the run's plan was changed (a run's changes are bounded: MAX_PLAN_CHANGES). */
  async countPlanChanges(runId: string): Promise<number> {
    const [row] = await this.uow.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${PLAN_CHANGES} WHERE execution_run_id = $1`, [
      runId,
    ]);
    return row?.n ?? 0;
  }
}
