import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { AppConfig, urlAllowed } from '@lib/config';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/identity';
import { NotificationsErrorCode, NotificationsException, webhookNotFound } from '../webhook.exception';
import { WebhookEventType, WebhookSubscriptionRow } from '../webhook.tables';
import { newWebhookSecret } from './webhook-signature';
import { SubscriptionPatch, WebhookSubscriptionRepository, WebhookSubscriptionView } from './webhook-subscription.repository';

/** Each is a copy of every announced event, written in the transaction of the change: bounded. */
export const MAX_SUBSCRIPTIONS_PER_PROJECT = 20;

/**
 * Webhook subscriptions of a project, managed by an admin of that project. The secret is shown
 * when a subscription is made and when it is rotated, never again; audit events name the URL and
 * the event types, never the secret. A subscription of another project answers exactly as one
 * that does not exist.
 */
@Injectable()
export class WebhookSubscriptionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly config: AppConfig,
    private readonly subscriptions: WebhookSubscriptionRepository,
  ) {}

  async create(
    principal: Principal,
    input: { projectId: string; url: string; eventTypes: readonly WebhookEventType[]; description: string | null },
    ctx: CommandContext,
  ): Promise<{ row: WebhookSubscriptionView; secret: string }> {
    this.access.assertAllowed(principal, Permission.WebhookManage, input.projectId);
    this.assertUrlAllowed(input.url);
    const secret = newWebhookSecret();
    const row = await this.uow.run(async () => {
      if ((await this.subscriptions.countLocked(input.projectId)) >= MAX_SUBSCRIPTIONS_PER_PROJECT) {
        throw new NotificationsException(
          NotificationsErrorCode.WebhookLimitReached,
          `a project has at most ${MAX_SUBSCRIPTIONS_PER_PROJECT} webhook subscriptions (disabled ones count); change one instead`,
          { limit: MAX_SUBSCRIPTIONS_PER_PROJECT },
        );
      }
      const created = await this.subscriptions.insert({ ...input, eventTypes: unique(input.eventTypes), secret, createdBy: ctx.actor.id });
      await this.audit.record({
        type: AuditEventType.WebhookSubscriptionCreated,
        ctx,
        projectId: input.projectId,
        data: { subscription_id: created.id, url: auditedUrl(created.url), event_types: created.event_types },
      });
      return created;
    });
    return { row, secret };
  }

  async list(principal: Principal, projectId: string): Promise<WebhookSubscriptionView[]> {
    this.access.assertAllowed(principal, Permission.WebhookManage, projectId);
    return this.subscriptions.list(projectId);
  }

  /** The subscription, visible to the caller (else 404 as for an id that does not exist). */
  async get(principal: Principal, projectId: string, id: string): Promise<WebhookSubscriptionView> {
    this.access.assertVisible(principal, Permission.WebhookManage, projectId, webhookNotFound);
    const row = await this.subscriptions.find(projectId, id);
    if (!row) throw webhookNotFound();
    return row;
  }

  async update(
    principal: Principal,
    projectId: string,
    id: string,
    patch: SubscriptionPatch,
    ctx: CommandContext,
  ): Promise<WebhookSubscriptionView> {
    this.access.assertVisible(principal, Permission.WebhookManage, projectId, webhookNotFound);
    if (patch.url !== undefined) this.assertUrlAllowed(patch.url);
    return this.uow.run(async () => {
      const before = await this.subscriptions.find(projectId, id, true);
      if (!before) throw webhookNotFound();
      // Nothing to change: no write, no new version, no audit event.
      if (Object.keys(changes(before, applied(before, patch))).length === 0) return before;
      const after = await this.subscriptions.update(id, { ...patch, eventTypes: patch.eventTypes && unique(patch.eventTypes) });
      await this.audit.record({
        type: AuditEventType.WebhookSubscriptionUpdated,
        ctx,
        projectId,
        data: { subscription_id: id, changes: changes(before, after), version: after.version },
      });
      return after;
    });
  }

  async rotateSecret(
    principal: Principal,
    projectId: string,
    id: string,
    graceSeconds: number,
    ctx: CommandContext,
  ): Promise<{ row: WebhookSubscriptionView; secret: string }> {
    this.access.assertVisible(principal, Permission.WebhookManage, projectId, webhookNotFound);
    const secret = newWebhookSecret();
    const row = await this.uow.run(async () => {
      if (!(await this.subscriptions.find(projectId, id, true))) throw webhookNotFound();
      const rotated = await this.subscriptions.rotateSecret({ id, secret, graceSeconds });
      await this.audit.record({
        type: AuditEventType.WebhookSecretRotated,
        ctx,
        projectId,
        data: {
          subscription_id: id,
          previous_secret_valid_until: rotated.retiredUntil?.toISOString() ?? null,
          cut_short_secret_valid_until: rotated.cutShortUntil?.toISOString() ?? null,
        },
      });
      return rotated.row;
    });
    return { row, secret };
  }

  private assertUrlAllowed(url: string): void {
    if (!urlAllowed(this.config.values.webhooks.allowedUrls, url)) {
      throw new NotificationsException(
        NotificationsErrorCode.WebhookUrlNotAllowed,
        'the URL is not under any prefix this service may send to (WEBHOOK_ALLOWED_URLS)',
        { field: 'url' },
      );
    }
  }
}

/** The row as the patch would leave it (for comparing; the database writes the real one). */
function applied(before: WebhookSubscriptionRow, patch: SubscriptionPatch): WebhookSubscriptionRow {
  return {
    ...before,
    url: patch.url ?? before.url,
    event_types: patch.eventTypes ? unique(patch.eventTypes) : before.event_types,
    description: patch.description !== undefined ? patch.description : before.description,
    status: patch.status ?? before.status,
  };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * A URL as the audit trail keeps it: its origin and a SHA-256 of the whole, never its path or
 * query (receivers often carry a token there, and an audit row can never be scrubbed).
 */
export function auditedUrl(url: string): { origin: string; sha256: string } {
  let origin = 'unparsable';
  try {
    origin = new URL(url).origin;
  } catch {
    // Kept as unparsable: the URL was checked at the edge, this is for the record only.
  }
  return { origin, sha256: createHash('sha256').update(url).digest('hex') };
}

/** What an update changed, by field (never the secret; URLs as auditedUrl keeps them). */
function changes(before: WebhookSubscriptionRow, after: WebhookSubscriptionRow): Record<string, { from: unknown; to: unknown }> {
  const fields = ['url', 'event_types', 'description', 'status'] as const;
  const result: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of fields) {
    if (JSON.stringify(before[field]) === JSON.stringify(after[field])) continue;
    result[field] =
      field === 'url' ? { from: auditedUrl(before.url), to: auditedUrl(after.url) } : { from: before[field], to: after[field] };
  }
  return result;
}
