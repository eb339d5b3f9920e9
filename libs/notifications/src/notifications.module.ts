import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { IdentityModule } from '@lib/identity';
import { WebhookController } from './webhooks/webhook.controller';
import { WebhookDeliveryRepository } from './webhooks/webhook-delivery.repository';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service';
import { WebhookSenderService } from './webhooks/webhook-sender.service';
import { WebhookSubscriptionRepository } from './webhooks/webhook-subscription.repository';
import { WebhookSubscriptionService } from './webhooks/webhook-subscription.service';

/** Webhook subscriptions and their deliveries, through the API (admins of a project). */
@Module({
  imports: [AuditModule, IdentityModule],
  controllers: [WebhookController],
  providers: [WebhookSubscriptionRepository, WebhookDeliveryRepository, WebhookSubscriptionService, WebhookDeliveryService],
})
export class NotificationsModule {}

/** The sender of the outbox's deliveries: loaded by worker processes (and npm start's in-process worker). */
@Module({
  providers: [WebhookDeliveryRepository, WebhookSenderService],
  exports: [WebhookSenderService],
})
export class WebhookSenderModule {}
