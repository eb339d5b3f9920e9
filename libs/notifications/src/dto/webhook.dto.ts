import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { ArrayMaxSize, ArrayMinSize, IsArray, IsEnum, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { IsCursor, IsStorableText, PageLimitField, ReasonField, TextLength } from '@lib/common';
import { WebhookDeliveryView } from '../webhooks/webhook-delivery.repository';
import { WebhookSubscriptionView } from '../webhooks/webhook-subscription.repository';
import { MAX_RETIRED_SECRETS, WebhookDeliveryStatus, WebhookEventType, WebhookSubscriptionStatus } from '../webhook.tables';

const URL_PATTERN = /^https?:\/\/\S+$/;

/** May be left out, but not sent as null (unlike IsOptional, which lets null through unchecked). */
function Absent(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

function UrlField(required: boolean): PropertyDecorator {
  const decorators = [
    (required ? ApiProperty : ApiPropertyOptional)({
      minLength: 1,
      maxLength: 2000,
      pattern: URL_PATTERN.source,
      example: 'https://hooks.example.com/control-plane',
      description: 'Where deliveries are POSTed; must be under a prefix of WEBHOOK_ALLOWED_URLS (else 422 webhook_url_not_allowed)',
    }),
    IsString(),
    TextLength(1, 2000),
    Matches(URL_PATTERN),
    IsStorableText(),
  ];
  return (target, property) => {
    if (!required) Absent()(target, property);
    for (const decorator of decorators) decorator(target, property);
  };
}

function EventTypesField(required: boolean): PropertyDecorator {
  const decorators = [
    (required ? ApiProperty : ApiPropertyOptional)({
      enum: WebhookEventType,
      isArray: true,
      minItems: 1,
      maxItems: 13,
      example: [WebhookEventType.ApprovalRequested, WebhookEventType.RunFailed],
    }),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(13),
    IsEnum(WebhookEventType, { each: true }),
  ];
  return (target, property) => {
    if (!required) Absent()(target, property);
    for (const decorator of decorators) decorator(target, property);
  };
}

export class CreateWebhookDto {
  @UrlField(true)
  url!: string;

  @EventTypesField(true)
  event_types!: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 500, nullable: true })
  @IsOptional()
  @IsString()
  @TextLength(0, 500)
  @IsStorableText()
  description?: string | null;
}

export class UpdateWebhookDto {
  @UrlField(false)
  url?: string;

  @EventTypesField(false)
  event_types?: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 500, nullable: true })
  @IsOptional()
  @IsString()
  @TextLength(0, 500)
  @IsStorableText()
  description?: string | null;

  @ApiPropertyOptional({
    enum: WebhookSubscriptionStatus,
    description: 'disabled: nothing is queued for it, and what was queued waits until it is active again',
  })
  @Absent()
  @IsEnum(WebhookSubscriptionStatus)
  status?: WebhookSubscriptionStatus;
}

export class RotateWebhookSecretDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 604800,
    description: `How long the secret being replaced keeps signing beside the new one: 86400 (a day) when left out, 0 stops it at once. Secrets retired before keep their own grace; at most ${MAX_RETIRED_SECRETS} retired secrets sign at once, so a rotation beyond that stops the one whose grace ends first (audited as cut_short_secret_valid_until) rather than being refused: rotating is how a leaked secret is replaced`,
  })
  @Absent()
  @IsInt()
  @Min(0)
  @Max(604_800)
  grace_seconds?: number;
}

export class RedriveWebhookDeliveryDto {
  @ReasonField('Why it is sent again (kept in the audit trail)')
  reason!: string;
}

export class ListWebhookDeliveriesQueryDto {
  @ApiPropertyOptional({ enum: WebhookDeliveryStatus })
  @IsOptional()
  @IsEnum(WebhookDeliveryStatus)
  status?: WebhookDeliveryStatus;

  @ApiPropertyOptional({ description: 'Only deliveries before this position (the `position` of the last one of a page)', example: '1042' })
  @IsOptional()
  @IsCursor()
  before?: string;

  @PageLimitField()
  limit?: number;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() project_id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: WebhookEventType, isArray: true }) event_types!: WebhookEventType[];
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: WebhookSubscriptionStatus }) status!: WebhookSubscriptionStatus;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until when a rotated-out secret still signs beside the current one: the latest of previous_secrets_valid_until',
  })
  previous_secret_valid_until!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    isArray: true,
    maxItems: MAX_RETIRED_SECRETS,
    description:
      'One per rotated-out secret that still signs beside the current one (webhook-signature carries one v1, entry per signing secret), when its own grace ends, the latest first',
  })
  previous_secrets_valid_until!: string[];
  @ApiProperty({ type: 'integer', description: 'Failed attempts in a row (0 after a delivered one)' }) consecutive_failures!: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Not sent to until then: a receiver that failed twice in a row is paused, doubling per failure (at most an hour)',
  })
  paused_until!: string | null;
  @ApiProperty({ description: 'The principal that made it' }) created_by!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ type: 'integer' }) version!: number;

  static from(row: WebhookSubscriptionView): WebhookDto {
    const retiredUntil = row.previous_secrets_valid_until.map((until) => until.toISOString());
    return {
      id: row.id,
      project_id: row.project_id,
      url: row.url,
      event_types: row.event_types as WebhookEventType[],
      description: row.description,
      status: row.status as WebhookSubscriptionStatus,
      previous_secret_valid_until: retiredUntil[0] ?? null,
      previous_secrets_valid_until: retiredUntil,
      consecutive_failures: row.consecutive_failures,
      paused_until: row.paused_until && row.paused_until.getTime() > Date.now() ? row.paused_until.toISOString() : null,
      created_by: row.created_by,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
      version: row.version,
    };
  }
}

export class WebhookWithSecretDto extends WebhookDto {
  @ApiProperty({
    description:
      'The signing secret (whsec_ and 32 bytes in base64): shown now and never again. Deliveries are signed in the Standard Webhooks format: webhook-signature: v1,<base64 HMAC-SHA256(base64-decoded part after whsec_, "<webhook-id>.<webhook-timestamp>.<body>")>',
    example: 'whsec_Jq3…',
  })
  secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] }) webhooks!: WebhookDto[];
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid', description: 'The webhook-id header and the body\'s "id": the same on every attempt' }) id!: string;
  @ApiProperty({ description: 'Keyset position, for `before`', example: '1042' }) position!: string;
  @ApiProperty({ enum: WebhookEventType }) event_type!: WebhookEventType;
  @ApiProperty({ description: 'The audit event it announces', example: '5512' }) audit_event_id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) run_id!: string | null;
  @ApiProperty({ enum: WebhookDeliveryStatus }) status!: WebhookDeliveryStatus;
  @ApiProperty({ type: 'integer', description: 'Attempts made (counted afresh by a re-drive)' }) attempts!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: "The last attempt's HTTP status (null: no answer)" })
  last_status_code!: number | null;
  @ApiProperty({ type: String, nullable: true }) last_error!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_attempt_at!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When a pending delivery is due; null when it is not pending, or waits behind an earlier one (waiting_for_earlier)',
  })
  next_attempt_at!: string | null;
  @ApiProperty({
    description:
      'Pending, and not sent before the earlier unfinished delivery of its run (or, for events without a run, of its audit chain) is delivered or dead: deliveries of a run go out in order, so while the head fails, the ones behind it wait',
  })
  waiting_for_earlier!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) delivered_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;

  static from(row: WebhookDeliveryView): WebhookDeliveryDto {
    const payload = row.payload as { run_id?: string | null };
    return {
      id: row.delivery_id,
      position: String(row.id),
      event_type: row.event_type as WebhookEventType,
      audit_event_id: String(row.audit_event_id),
      run_id: payload.run_id ?? null,
      status: row.status as WebhookDeliveryStatus,
      attempts: row.attempts,
      last_status_code: row.last_status_code,
      last_error: row.last_error,
      last_attempt_at: row.last_attempt_at?.toISOString() ?? null,
      next_attempt_at:
        row.status === WebhookDeliveryStatus.Pending && !row.waiting_for_earlier ? (row.available_at?.toISOString() ?? null) : null,
      waiting_for_earlier: row.waiting_for_earlier,
      delivered_at: row.delivered_at?.toISOString() ?? null,
      created_at: row.created_at.toISOString(),
    };
  }
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) deliveries!: WebhookDeliveryDto[];
}
