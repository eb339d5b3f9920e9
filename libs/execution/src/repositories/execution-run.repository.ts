import { Injectable } from '@nestjs/common';
import { constraintOf, UnitOfWork } from '@lib/database';
import { EXECUTION_RUNS_TABLE, EXECUTION_STEPS_TABLE, ExecutionRunRow, TIMEOUT_POLICIES_TABLE } from '../execution.tables';
import { PURGEABLE_RUN_STATUSES } from '../run-status';
import { ExecutionErrorCode, ExecutionException } from '../execution.exception';

const T = EXECUTION_RUNS_TABLE.name;

/** Spelled out (not a parameter) so the planner can use the partial index execution_runs_purgeable_idx. */
const PURGEABLE = PURGEABLE_RUN_STATUSES.map((status) => `'${status}'`).join(', ');

/** A run at the head of the queue, locked, with what the claim decides on. */
export type ClaimCandidate = ExecutionRunRow & {
  /** approval_gate's verdict: 'open', or why not. */
  gate_verdict: string;
  /** The approval the gate looked at (the run's current lane). */
  gate_approval_id: string | null;
  /** The timeout the run's (SLA class, action) gets from timeout_policies, when there is a row. */
  policy_timeout_seconds: number | null;
  /** execution_mode() of the run's action and level now: enabled, record_only or disabled. */
  execution_mode: string;
  /**
   * How long the run has been claimable, by the database clock at the claim: since it moved to
   * RUN (updated_at: the approval's commit, a retry, a re-drive) or its backoff ended (available_at).
   */
  claimable_seconds: number;
};

/** The queue as a scrape sees it: claimable runs, and how long the oldest has waited. */
export interface QueueSnapshot {
  readonly depth: number;
  readonly oldestSeconds: number;
}

const CANDIDATE_SELECT = `
  SELECT r.*, g.verdict AS gate_verdict, g.approval_id AS gate_approval_id, t.timeout_seconds AS policy_timeout_seconds,
         execution_mode(r.action, r.approval_level) AS execution_mode,
         greatest(0, extract(epoch FROM now() - greatest(r.available_at, r.updated_at)))::float8 AS claimable_seconds
  FROM ${T} r
  CROSS JOIN LATERAL approval_gate(r.id) g
  LEFT JOIN LATERAL (SELECT p.timeout_seconds FROM ${TIMEOUT_POLICIES_TABLE.name} p
                     WHERE p.sla_class = r.sla_class AND p.action_class IN (r.action, '*')
                     ORDER BY (p.action_class = '*') LIMIT 1) t ON true`;

/**
 * The claim's statement ($1: the worker's project pattern, $2: how many). Exported only so the
 * benchmark can show its plan at a deep backlog (EXPLAIN ANALYZE, rolled back).
 */
export const QUEUE_HEAD_CLAIM = `${CANDIDATE_SELECT}
       WHERE r.id IN (SELECT id FROM ${T} WHERE status = 'RUN' AND available_at <= now() AND project_id LIKE $1
                        AND ($3::text[] IS NULL OR action = ANY($3)) AND NOT (action = ANY($4))
                        AND ($5::text[] IS NULL OR project_id = ANY($5))
                      ORDER BY available_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       ORDER BY r.available_at, r.created_at`;

/** A lease its holder renewed: whether a cancel was asked for, and the lease and run deadlines (database clock). */
export interface HeldLease {
  readonly cancel_requested_at: Date | null;
  readonly cancel_requested_by: string | null;
  readonly lease_expires_at: Date;
  readonly deadline_at: Date | null;
  readonly past_deadline: boolean | null;
}

/** Which runs of the queue a worker takes. */
export interface QueueFilter {
  /** A LIKE pattern: a worker may serve only some projects (and tests use it to stay apart). */
  readonly projectPattern: string;
  /** Only these actions (null: any). */
  readonly onlyActions?: readonly string[] | null;
  /** Never these actions. */
  readonly exceptActions?: readonly string[];
  /** Only these projects (null: any). */
  readonly projects?: readonly string[] | null;
}

/** QUEUE_HEAD_CLAIM's parameters, in order. */
export function queueHeadParameters(input: QueueFilter & { limit: number }): unknown[] {
  return [input.projectPattern, input.limit, input.onlyActions ?? null, input.exceptActions ?? [], input.projects ?? null];
}

/** What is left of a run retention deleted: enough to audit it. */
export type PurgedRun = Pick<ExecutionRunRow, 'id' | 'project_id' | 'status' | 'updated_at'>;

export interface NewRun {
  readonly projectId: string;
  readonly idempotencyKey: string;
  readonly action: string;
  readonly params: Record<string, unknown>;
  readonly targets: readonly string[];
  readonly fingerprint: string;
  readonly approvalLevel: number;
  readonly policyHash: string;
  readonly requestedBy: string;
  /** The credential the requester used (`api_key:<id>`, `oidc:<token id>`). */
  readonly requestedVia: string | null;
  readonly maxAttempts: number;
  readonly slaClass: string;
}

/** What a search of runs may filter on; null: any. */
export interface RunSearch {
  readonly projectIds: readonly string[] | null;
  readonly projectId: string | null;
  readonly status: string | null;
  readonly action: string | null;
  readonly requestedBy: string | null;
  readonly createdFrom: Date | null;
  readonly createdBefore: Date | null;
  readonly before: string | null;
  readonly limit: number;
}

/** The execution lib's SQL for execution_runs (status changes go through the state machine's RUN_AXIS). */
@Injectable()
export class ExecutionRunRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The new run, or null when (project, key) is taken: ON CONFLICT waits for the other writer to
   * commit. A new run of a disabled action or level is refused by the database (action_disabled).
   */
  async insertIfAbsent(run: NewRun): Promise<ExecutionRunRow | null> {
    const rows = await this.uow
      .query<ExecutionRunRow>(
        `INSERT INTO ${T} (project_id, idempotency_key, action, params, targets, fingerprint, plan_hash, approval_level, policy_hash,
                          status, blocked_reason, requested_by, max_attempts, sla_class, requested_via)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, 'BLOCKED', 'approval_pending', $9, $10, $11, $12)
       ON CONFLICT (project_id, idempotency_key) DO NOTHING
       RETURNING *`,
        [
          run.projectId,
          run.idempotencyKey,
          run.action,
          JSON.stringify(run.params),
          JSON.stringify(run.targets),
          run.fingerprint,
          run.approvalLevel,
          run.policyHash,
          run.requestedBy,
          run.maxAttempts,
          run.slaClass,
          run.requestedVia,
        ],
      )
      .catch((error: unknown) => {
        if (constraintOf(error) !== 'execution_runs_action_enabled') throw error;
        throw new ExecutionException(
          ExecutionErrorCode.ActionDisabled,
          `new runs of ${run.action} at level ${run.approvalLevel} are disabled`,
          {
            action: run.action,
            approval_level: run.approvalLevel,
          },
        );
      });
    return rows[0] ?? null;
  }

  /**
   * Runs matching every filter given, newest first (created_at, then id), within `projectIds`
   * (null: every project); page with the last id as `before` (a run purged since ends the list,
   * and so does one outside `projectIds`: a cursor says nothing of runs the caller cannot see).
   */
  search(filter: RunSearch): Promise<ExecutionRunRow[]> {
    return this.uow.query<ExecutionRunRow>(
      `SELECT * FROM ${T}
       WHERE ($1::text[] IS NULL OR project_id = ANY($1)) AND ($2::text IS NULL OR project_id = $2)
         AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR action = $4) AND ($5::text IS NULL OR requested_by = $5)
         AND ($6::timestamptz IS NULL OR created_at >= $6) AND ($7::timestamptz IS NULL OR created_at < $7)
         AND ($8::uuid IS NULL OR (created_at, id) < (SELECT c.created_at, c.id FROM ${T} c
                                                      WHERE c.id = $8 AND ($1::text[] IS NULL OR c.project_id = ANY($1))))
       ORDER BY created_at DESC, id DESC LIMIT $9`,
      [
        filter.projectIds,
        filter.projectId,
        filter.status,
        filter.action,
        filter.requestedBy,
        filter.createdFrom,
        filter.createdBefore,
        filter.before,
        filter.limit,
      ],
    );
  }

  /** The run, locked FOR UPDATE when the caller's transaction must serialize on it (its audit chain too). */
  async findById(id: string, options: { lock?: boolean } = {}): Promise<ExecutionRunRow | null> {
    const rows = await this.uow.query<ExecutionRunRow>(`SELECT * FROM ${T} WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  /**
   * The run (locked, unless asked not to), with its running step (if any) and whether its deadline
   * has passed by the database clock: what a remote worker's report is checked against, in one statement.
   */
  async readWithRunningStep(
    id: string,
    options: { lock: boolean } = { lock: true },
  ): Promise<{ run: ExecutionRunRow; running: { id: string; step_index: number } | null; pastDeadline: boolean } | null> {
    const rows = await this.uow.query<
      ExecutionRunRow & { past_deadline: boolean | null; running_id: string | null; running_index: number | null }
    >(
      `SELECT r.*, r.deadline_at <= now() AS past_deadline, s.id::text AS running_id, s.step_index AS running_index
       FROM ${T} r LEFT JOIN ${EXECUTION_STEPS_TABLE.name} s ON s.execution_run_id = r.id AND s.status = 'running'
       WHERE r.id = $1${options.lock ? ' FOR UPDATE OF r' : ''}`,
      [id],
    );
    if (rows.length === 0) return null;
    const { past_deadline: pastDeadline, running_id: runningId, running_index: runningIndex, ...run } = rows[0];
    return {
      run,
      running: runningId === null || runningIndex === null ? null : { id: runningId, step_index: runningIndex },
      pastDeadline: pastDeadline === true,
    };
  }

  async findByKey(projectId: string, idempotencyKey: string, options: { lock?: boolean } = {}): Promise<ExecutionRunRow | null> {
    const rows = await this.uow.query<ExecutionRunRow>(
      `SELECT * FROM ${T} WHERE project_id = $1 AND idempotency_key = $2${options.lock ? ' FOR UPDATE' : ''}`,
      [projectId, idempotencyKey],
    );
    return rows[0] ?? null;
  }

  /** Locks the given runs (only those still in one of `statuses`, when given), optionally skipping runs another transaction holds. */
  lockMany(ids: readonly string[], options: { statuses?: readonly string[]; skipLocked?: boolean } = {}): Promise<ExecutionRunRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.uow.query<ExecutionRunRow>(
      `SELECT * FROM ${T} WHERE id = ANY($1) AND ($2::text[] IS NULL OR status = ANY($2))
       ORDER BY created_at FOR UPDATE${options.skipLocked ? ' SKIP LOCKED' : ''}`,
      [ids, options.statuses ?? null],
    );
  }

  /**
   * A run whose target another run holds waits `lockWaitMs` before it is offered again; true
   * when this is the start of its wait (the mark was not set yet).
   */
  async waitForTarget(input: { id: string; lockWaitMs: number }): Promise<boolean> {
    const [row] = await this.uow.query<{ started: boolean }>(
      `UPDATE ${T} SET available_at = now() + make_interval(secs => $2::double precision / 1000),
                       target_wait_started_at = coalesce(target_wait_started_at, now())
       WHERE id = $1 AND status = 'RUN' RETURNING target_wait_started_at = now() AS started`,
      [input.id, input.lockWaitMs],
    );
    return row?.started ?? false;
  }

  /** Records a cancel request on a run a worker holds (not a status change: the worker ends it). */
  async requestCancel(input: { id: string; by: string; reason: string }): Promise<ExecutionRunRow> {
    const [row] = await this.uow.query<ExecutionRunRow>(
      `UPDATE ${T} SET cancel_requested_at = now(), cancel_requested_by = $2, cancel_reason = $3, version = version + 1, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [input.id, input.by, input.reason],
    );
    return row;
  }

  /**
   * A heartbeat of the lease holder: renews the lease (unless `renew` is false), adds the cancel
   * checks made since the last one, and reads whether a cancel was requested. Null when this
   * worker no longer holds the run.
   */
  async heartbeat(input: { id: string; workerId: string; leaseMs: number; renew: boolean; checks: number }): Promise<HeldLease | null> {
    const rows = await this.uow.query<HeldLease>(
      `UPDATE ${T}
       SET lease_expires_at = CASE WHEN $4 THEN now() + make_interval(secs => $3::double precision / 1000) ELSE lease_expires_at END,
           lease_renewals = lease_renewals + CASE WHEN $4 THEN 1 ELSE 0 END,
           cancel_checks_performed = cancel_checks_performed + $5
       WHERE id = $1 AND worker_id = $2 AND status IN ('CLAIMED', 'RUNNING')
       RETURNING cancel_requested_at, cancel_requested_by, lease_expires_at, deadline_at, deadline_at <= now() AS past_deadline`,
      [input.id, input.workerId, input.leaseMs, input.renew, input.checks],
    );
    return rows[0] ?? null;
  }

  /**
   * The reaper's batch: runs whose lease ran out, or running past their deadline plus a grace
   * period (the hard time limit), locked, skipping runs another transaction holds.
   */
  lockUnanswered(input: { limit: number; graceMs: number }): Promise<Array<ExecutionRunRow & { past_deadline: boolean }>> {
    return this.uow.query<ExecutionRunRow & { past_deadline: boolean }>(
      `SELECT r.*, (r.status = 'RUNNING' AND r.deadline_at + make_interval(secs => $2::double precision / 1000) < now()) AS past_deadline
       FROM ${T} r
       WHERE r.status IN ('CLAIMED', 'RUNNING')
         AND (r.lease_expires_at < now() OR (r.status = 'RUNNING' AND r.deadline_at + make_interval(secs => $2::double precision / 1000) < now()))
       ORDER BY r.lease_expires_at LIMIT $1
       FOR UPDATE OF r SKIP LOCKED`,
      [input.limit, input.graceMs],
    );
  }

  /**
   * The head of the queue, locked: up to `limit` RUN runs that are due, in the worker's projects,
   * in the order of the index execution_runs_queue, so the cost does not grow with the backlog.
   * SKIP LOCKED: workers never wait for each other. Only then is the approval gate asked
   * (approval_gate: the rule stated once in PostgreSQL), for the rows held; and each comes with
   * the timeout its (SLA class, action) gets (the action's own row wins over the class's '*').
   */
  /**
   * The head of the queue a worker may take: its project pattern, and (a remote worker) the
   * actions it serves in the projects it holds the worker role on; `exceptActions` are the
   * actions other workers carry out (an in-process worker leaves remote actions alone).
   */
  lockQueueHead(input: QueueFilter & { limit: number }): Promise<ClaimCandidate[]> {
    return this.uow.query<ClaimCandidate>(QUEUE_HEAD_CLAIM, queueHeadParameters(input));
  }

  /** Runs by status, every project (a scrape: one statement). */
  async countByStatus(): Promise<Map<string, number>> {
    const rows = await this.uow.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM ${T} GROUP BY status`);
    return new Map(rows.map((row) => [row.status, Number(row.n)]));
  }

  /**
   * The claimable runs (the claim's predicate without its project filter: RUN and due, on the
   * index execution_runs_queue), and how long the oldest has been claimable (as the claim
   * latency counts it: since it moved to RUN or its backoff ended), by the database clock.
   */
  async queueSnapshot(): Promise<QueueSnapshot> {
    const [row] = await this.uow.query<{ depth: string; oldest_seconds: number | null }>(
      `SELECT count(*) AS depth, extract(epoch FROM now() - min(greatest(available_at, updated_at)))::float8 AS oldest_seconds
       FROM ${T} WHERE status = 'RUN' AND available_at <= now()`,
    );
    return { depth: Number(row.depth), oldestSeconds: Math.max(0, row.oldest_seconds ?? 0) };
  }

  /** One RUN run by id, locked, whenever it is due (immediate mode's own); nothing when another transaction holds it. */
  lockRunById(id: string): Promise<ClaimCandidate[]> {
    return this.uow.query<ClaimCandidate>(
      `${CANDIDATE_SELECT}
       WHERE r.id IN (SELECT id FROM ${T} WHERE id = $1 AND status = 'RUN' FOR UPDATE SKIP LOCKED)`,
      [id],
    );
  }

  /** Offered again only after `ms` (a run whose gate was closed when claimed: the sweeper will end it). */
  async postpone(ids: readonly string[], ms: number): Promise<void> {
    if (ids.length === 0) return;
    await this.uow.query(
      `UPDATE ${T} SET available_at = now() + make_interval(secs => $2::double precision / 1000) WHERE id = ANY($1) AND status = 'RUN'`,
      [ids, ms],
    );
  }

  /**
   * Deletes up to `limit` runs that ended more than `olderThanSeconds` ago (database clock),
   * oldest first, in the given project or projects (null: any); the cascade takes their
   * approvals, votes, grants, steps, locks and dead letters. Rows another transaction holds are
   * skipped, so two purges never wait for each other or delete one run twice.
   */
  deleteEnded(input: {
    olderThanSeconds: number;
    projectId: string | null;
    projectIds: readonly string[] | null;
    limit: number;
  }): Promise<PurgedRun[]> {
    return this.uow.query<PurgedRun>(
      `WITH doomed AS (
         SELECT id FROM ${T}
         WHERE status IN (${PURGEABLE}) AND updated_at < now() - make_interval(secs => $1::double precision)
           AND ($2::text IS NULL OR project_id = $2) AND ($3::text[] IS NULL OR project_id = ANY($3))
         ORDER BY updated_at LIMIT $4
         FOR UPDATE SKIP LOCKED)
       DELETE FROM ${T} r USING doomed WHERE r.id = doomed.id
       RETURNING r.id, r.project_id, r.status, r.updated_at`,
      [input.olderThanSeconds, input.projectId, input.projectIds, input.limit],
    );
  }
}
