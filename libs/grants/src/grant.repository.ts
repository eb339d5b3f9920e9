import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { GRANTS_TABLE, GrantRow } from './grant.table';

const T = GRANTS_TABLE.name;

/** A grant with whether its expiry has passed by the database clock. */
export type GrantWithLapse = GrantRow & { lapsed: boolean };

export interface NewGrant {
  readonly authCode: string;
  readonly runId: string;
  readonly approvalId: string;
  readonly projectId: string;
  readonly scope: Record<string, unknown>;
  readonly approvalRef: Record<string, unknown>;
  readonly evidence: Record<string, unknown>;
  readonly rollbackPlanRef: string;
  readonly ttlSeconds: number;
  readonly grantedBy: string;
}

/**
 * The grants lib's SQL: the only code that reads or writes governance_grants (status changes go
 * through the state machine's GRANT_AXIS). Runs and their approvals are read only through what
 * their owners publish in PostgreSQL (execution_run_states, approval_current_lane).
 */
@Injectable()
export class GrantRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async find(authCode: string, options: { lock?: boolean } = {}): Promise<GrantWithLapse | null> {
    const rows = await this.uow.query<GrantWithLapse>(
      `SELECT *, expires_at <= now() AS lapsed FROM ${T} WHERE auth_code = $1${options.lock ? ' FOR UPDATE' : ''}`,
      [authCode],
    );
    return rows[0] ?? null;
  }

  /** Serializes minting per target, so "one active grant per target" is decided, not raced. */
  async lockTarget(target: string): Promise<void> {
    await this.uow.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`grant-target:${target}`]);
  }

  async activeOnTarget(target: string, exceptAuthCode: string): Promise<string | null> {
    const rows = await this.uow.query<{ auth_code: string }>(
      `SELECT auth_code FROM ${T} WHERE scope ->> 'target' = $1 AND status = 'active' AND auth_code <> $2`,
      [target, exceptAuthCode],
    );
    return rows[0]?.auth_code ?? null;
  }

  /** Mints the grant unless it exists (its auth code is the run's); false when it already did. */
  async insertIfAbsent(grant: NewGrant): Promise<boolean> {
    const inserted = await this.uow.query(
      `INSERT INTO ${T} (auth_code, execution_run_id, approval_id, project_id, status, scope, approval_ref, evidence,
                         rollback_plan_ref, commit_allowed, ttl_seconds, granted_by, granted_at, expires_at)
       VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, false, $9::int, $10, now(), now() + make_interval(secs => $9::int))
       ON CONFLICT (auth_code) DO NOTHING RETURNING auth_code`,
      [
        grant.authCode,
        grant.runId,
        grant.approvalId,
        grant.projectId,
        JSON.stringify(grant.scope),
        JSON.stringify(grant.approvalRef),
        JSON.stringify(grant.evidence),
        grant.rollbackPlanRef,
        grant.ttlSeconds,
        grant.grantedBy,
      ],
    );
    return inserted.length === 1;
  }

  /** Active grants past their expiry: those of one target, or a batch of any (the sweeper). */
  overdue(input: { target?: string; limit: number }): Promise<GrantRow[]> {
    return this.uow.query<GrantRow>(
      `SELECT * FROM ${T} WHERE status = 'active' AND expires_at <= now() AND ($1::text IS NULL OR scope ->> 'target' = $1)
       ORDER BY expires_at LIMIT $2`,
      [input.target ?? null, input.limit],
    );
  }

  /**
   * Approved runs (RUN) of grant-minting actions whose approval is older than the grace period
   * and whose chain holds no handler outcome: the after-commit handler never ran for them.
   */
  async approvedWithoutOutcome(input: {
    actions: readonly string[];
    graceSeconds: number;
    outcomeTypes: readonly string[];
    limit: number;
  }): Promise<string[]> {
    const rows = await this.uow.query<{ id: string }>(
      `SELECT r.id FROM execution_run_states r
       JOIN LATERAL approval_current_lane(r.id) a ON a.status = 'approved'
       WHERE r.status = 'RUN' AND r.action = ANY($1) AND a.decided_at < now() - make_interval(secs => $2)
         AND NOT audit_chain_has_event('run:' || r.id, $3)
       ORDER BY r.updated_at LIMIT $4`,
      [input.actions, input.graceSeconds, input.outcomeTypes, input.limit],
    );
    return rows.map((row) => row.id);
  }
}
