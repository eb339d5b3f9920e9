import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { WEBHOOK_SUBSCRIPTIONS_TABLE, WebhookEventType, WebhookSubscriptionRow, WebhookSubscriptionStatus } from '../webhook.tables';

const T = WEBHOOK_SUBSCRIPTIONS_TABLE.name;

export interface SubscriptionPatch {
  readonly url?: string;
  readonly eventTypes?: readonly WebhookEventType[];
  readonly description?: string | null;
  readonly status?: WebhookSubscriptionStatus;
}

/** The notifications lib's SQL for webhook_subscriptions. */
@Injectable()
export class WebhookSubscriptionRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(input: {
    projectId: string;
    url: string;
    eventTypes: readonly WebhookEventType[];
    description: string | null;
    secret: string;
    createdBy: string;
  }): Promise<WebhookSubscriptionRow> {
    const [row] = await this.uow.query<WebhookSubscriptionRow>(
      `INSERT INTO ${T} (project_id, url, event_types, description, secret, created_by)
       VALUES ($1, $2, $3::text[], $4, $5, $6) RETURNING *`,
      [input.projectId, input.url, input.eventTypes, input.description, input.secret, input.createdBy],
    );
    return row;
  }

  /**
   * The subscription, locked for the caller's transaction when `lock` (FOR NO KEY UPDATE: the
   * outbox's inserts, which only reference it, do not wait); null when it is not in that project.
   */
  async find(projectId: string, id: string, lock = false): Promise<WebhookSubscriptionRow | null> {
    const [row] = await this.uow.query<WebhookSubscriptionRow>(
      `SELECT * FROM ${T} WHERE id = $1 AND project_id = $2${lock ? ' FOR NO KEY UPDATE' : ''}`,
      [id, projectId],
    );
    return row ?? null;
  }

  /** How many subscriptions the project has, counted under a lock per project (concurrent creates wait for each other). */
  async countLocked(projectId: string): Promise<number> {
    await this.uow.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhook_subscriptions:' || $1, 0))`, [projectId]);
    const [row] = await this.uow.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${T} WHERE project_id = $1`, [projectId]);
    return row.n;
  }

  list(projectId: string): Promise<WebhookSubscriptionRow[]> {
    return this.uow.query<WebhookSubscriptionRow>(`SELECT * FROM ${T} WHERE project_id = $1 ORDER BY created_at, id`, [projectId]);
  }

  async update(id: string, patch: SubscriptionPatch): Promise<WebhookSubscriptionRow> {
    const [row] = await this.uow.query<WebhookSubscriptionRow>(
      `UPDATE ${T}
          SET url = coalesce($2, url),
              event_types = coalesce($3::text[], event_types),
              description = CASE WHEN $4::boolean THEN $5 ELSE description END,
              status = coalesce($6, status),
              -- A new URL, or enabling it again, starts the receiver's health afresh.
              consecutive_failures = CASE WHEN $2 IS NOT NULL OR $6 = 'active' THEN 0 ELSE consecutive_failures END,
              paused_until = CASE WHEN $2 IS NOT NULL OR $6 = 'active' THEN NULL ELSE paused_until END,
              updated_at = now(),
              version = version + 1
        WHERE id = $1 RETURNING *`,
      [id, patch.url ?? null, patch.eventTypes ?? null, patch.description !== undefined, patch.description ?? null, patch.status ?? null],
    );
    return row;
  }

  /** The receiver was fixed (an admin re-drove a delivery): no pause, failures counted afresh. */
  async clearPause(id: string): Promise<void> {
    await this.uow.query(
      `UPDATE ${T} SET consecutive_failures = 0, paused_until = NULL WHERE id = $1 AND (consecutive_failures > 0 OR paused_until IS NOT NULL)`,
      [id],
    );
  }

  /** A new secret; the one it replaces keeps signing beside it for `graceSeconds` (0: not at all). */
  async rotateSecret(id: string, secret: string, graceSeconds: number): Promise<WebhookSubscriptionRow> {
    const [row] = await this.uow.query<WebhookSubscriptionRow>(
      `UPDATE ${T}
          SET previous_secret = CASE WHEN $3::int > 0 THEN secret END,
              previous_secret_until = CASE WHEN $3::int > 0 THEN now() + make_interval(secs => $3::int) END,
              secret = $2, updated_at = now(), version = version + 1
        WHERE id = $1 RETURNING *`,
      [id, secret, graceSeconds],
    );
    return row;
  }
}
