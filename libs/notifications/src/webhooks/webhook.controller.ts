import { Body, Get, Header, HttpCode, Param, ParseUUIDPipe, Patch, PipeTransform, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, QUERY_ERRORS, RequestErrorCode, RequestException, CODE_PATTERN, ApiV1Controller } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated } from '@lib/identity';
import { deliveryNotFound, NotificationsErrorCode, webhookNotFound } from '../webhook.exception';
import {
  CreateWebhookDto,
  ListWebhookDeliveriesQueryDto,
  RedriveWebhookDeliveryDto,
  RotateWebhookSecretDto,
  UpdateWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
  WebhookDto,
  WebhookListDto,
  WebhookWithSecretDto,
} from '../dto/webhook.dto';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookSubscriptionService } from './webhook-subscription.service';

const PROJECT_ID = CODE_PATTERN;
const DEFAULT_GRACE_SECONDS = 86_400;

/** A project id in the path: the pattern of every project id, else 400 invalid_value. */
class ProjectIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!PROJECT_ID.test(value)) {
      throw new RequestException(RequestErrorCode.InvalidValue, 'a project id is 1-128 of [A-Za-z0-9._:-]', { field: 'project_id' });
    }
    return value;
  }
}

const WEBHOOK_ID = new ParseUUIDPipe({ exceptionFactory: () => webhookNotFound() });
const DELIVERY_ID = new ParseUUIDPipe({ exceptionFactory: () => deliveryNotFound() });
const PATH_ERRORS = [RequestErrorCode.InvalidValue];

@ApiTags('webhooks')
@ApiParam({ name: 'project_id', schema: { type: 'string', pattern: PROJECT_ID.source } })
@ApiV1Controller('projects/:project_id/webhooks')
export class WebhookController {
  constructor(
    private readonly subscriptions: WebhookSubscriptionService,
    private readonly deliveries: WebhookDeliveryService,
  ) {}

  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @Authenticated(Permission.WebhookManage)
  @ApiOperation({
    summary: "Subscribe a URL to a project's events (admin of the project); the signing secret is returned once",
    description:
      'Each event of a chosen type that commits in the project is delivered at least once, signed, in order per run, retried with backoff and dead after WEBHOOK_MAX_ATTEMPTS. The URL must be under a prefix of WEBHOOK_ALLOWED_URLS. At most 20 subscriptions per project (409 webhook_limit_reached).',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretDto })
  @ApiErrors({
    400: [...BODY_ERRORS, ...PATH_ERRORS],
    409: [NotificationsErrorCode.WebhookLimitReached],
    422: [NotificationsErrorCode.WebhookUrlNotAllowed],
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Param('project_id', ProjectIdPipe) projectId: string,
    @Body() body: CreateWebhookDto,
  ): Promise<WebhookWithSecretDto> {
    const { row, secret } = await this.subscriptions.create(
      principal,
      { projectId, url: body.url, eventTypes: body.event_types, description: body.description ?? null },
      principal.ctx,
    );
    return { ...WebhookDto.from(row), secret };
  }

  @Get()
  @Authenticated(Permission.WebhookManage)
  @ApiOperation({
    summary: "The project's webhook subscriptions (admin of the project), never with their secret",
    description: 'Active and disabled ones, oldest first.',
  })
  @ApiOkResponse({ type: WebhookListDto })
  @ApiErrors({ 400: PATH_ERRORS })
  async list(@CurrentPrincipal() principal: Principal, @Param('project_id', ProjectIdPipe) projectId: string): Promise<WebhookListDto> {
    return { webhooks: (await this.subscriptions.list(principal, projectId)).map((row) => WebhookDto.from(row)) };
  }

  @Get(':webhook_id')
  @Authenticated(Permission.WebhookManage)
  @ApiOperation({
    summary: 'One webhook subscription, without its secret',
    description: 'A subscription of another project answers 404, as one that does not exist.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors({ 400: PATH_ERRORS, 404: [NotificationsErrorCode.WebhookNotFound] })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('project_id', ProjectIdPipe) projectId: string,
    @Param('webhook_id', WEBHOOK_ID) id: string,
  ): Promise<WebhookDto> {
    return WebhookDto.from(await this.subscriptions.get(principal, projectId, id));
  }

  @Patch(':webhook_id')
  @Authenticated(Permission.WebhookManage)
  @ApiOperation({
    summary: 'Change the URL, the event types, the description, or disable / enable (audited)',
    description: 'Disabled: new events are not queued for it; what was queued waits, and goes out in order once it is active again.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors({
    400: [...BODY_ERRORS, ...PATH_ERRORS],
    404: [NotificationsErrorCode.WebhookNotFound],
    422: [NotificationsErrorCode.WebhookUrlNotAllowed],
  })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('project_id', ProjectIdPipe) projectId: string,
    @Param('webhook_id', WEBHOOK_ID) id: string,
    @Body() body: UpdateWebhookDto,
  ): Promise<WebhookDto> {
    const row = await this.subscriptions.update(
      principal,
      projectId,
      id,
      { url: body.url, eventTypes: body.event_types, description: body.description, status: body.status },
      principal.ctx,
    );
    return WebhookDto.from(row);
  }

  @Post(':webhook_id/rotate-secret')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Authenticated(Permission.WebhookManage)
  @ApiOperation({
    summary: 'A new signing secret, returned once; the one it replaces keeps signing beside it for grace_seconds',
    description:
      'Each rotated-out secret signs until its own grace ends, whatever rotations come after (at most 5 at once: beyond that the one whose grace ends first stops). webhook-signature carries one v1, entry per signing secret, so receivers can switch secrets without a gap.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookWithSecretDto })
  @ApiErrors({ 400: [...BODY_ERRORS, ...PATH_ERRORS], 404: [NotificationsErrorCode.WebhookNotFound] })
  async rotateSecret(
    @CurrentPrincipal() principal: Principal,
    @Param('project_id', ProjectIdPipe) projectId: string,
    @Param('webhook_id', WEBHOOK_ID) id: string,
    @Body() body: RotateWebhookSecretDto,
  ): Promise<WebhookWithSecretDto> {
    const { row, secret } = await this.subscriptions.rotateSecret(
      principal,
      projectId,
      id,
      body.grace_seconds ?? DEFAULT_GRACE_SECONDS,
      principal.ctx,
    );
    return { ...WebhookDto.from(row), secret };
  }

  @Get(':webhook_id/deliveries')
  @Authenticated(Permission.WebhookManage)
  @ApiOperation({
    summary: "A subscription's deliveries, newest first: status, attempts, the last answer",
    description:
      'pending (due at next_attempt_at, or waiting_for_earlier: behind an unfinished earlier delivery of its run), delivering, delivered, or dead (re-drivable). Pages by `before`.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiErrors({ 400: [...QUERY_ERRORS, RequestErrorCode.InvalidCursor], 404: [NotificationsErrorCode.WebhookNotFound] })
  async deliveriesOf(
    @CurrentPrincipal() principal: Principal,
    @Param('project_id', ProjectIdPipe) projectId: string,
    @Param('webhook_id', WEBHOOK_ID) id: string,
    @Query() query: ListWebhookDeliveriesQueryDto,
  ): Promise<WebhookDeliveryListDto> {
    const rows = await this.deliveries.list(principal, {
      projectId,
      subscriptionId: id,
      status: query.status,
      before: query.before,
      limit: query.limit ?? 100,
    });
    return { deliveries: rows.map((row) => WebhookDeliveryDto.from(row)) };
  }

  @Post(':webhook_id/deliveries/:delivery_id/redrive')
  @HttpCode(200)
  @Authenticated(Permission.WebhookManage)
  @ApiOperation({
    summary: 'Send a dead delivery again (audited), with its attempts counted afresh and the same delivery id',
    description: 'Only a dead delivery: 409 webhook_delivery_not_dead otherwise. The senders are woken at once.',
  })
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiParam({ name: 'delivery_id', format: 'uuid' })
  @ApiOkResponse({ type: WebhookDeliveryDto })
  @ApiErrors({
    400: [...BODY_ERRORS, ...PATH_ERRORS],
    404: [NotificationsErrorCode.WebhookNotFound, NotificationsErrorCode.WebhookDeliveryNotFound],
    409: [NotificationsErrorCode.WebhookDeliveryNotDead],
  })
  async redrive(
    @CurrentPrincipal() principal: Principal,
    @Param('project_id', ProjectIdPipe) projectId: string,
    @Param('webhook_id', WEBHOOK_ID) subscriptionId: string,
    @Param('delivery_id', DELIVERY_ID) deliveryId: string,
    @Body() body: RedriveWebhookDeliveryDto,
  ): Promise<WebhookDeliveryDto> {
    return WebhookDeliveryDto.from(
      await this.deliveries.redrive(principal, { projectId, subscriptionId, deliveryId, reason: body.reason }, principal.ctx),
    );
  }
}
